#!/usr/bin/env node
// Posts a file as the pull request's review comment, editing the previous one instead of
// adding another. Needs GITHUB_TOKEN (pull-requests: write), GITHUB_REPOSITORY,
// GITHUB_EVENT_PATH and GITHUB_API_URL, as GitHub Actions sets them.
//   comment-pr.mjs <file.md>
import { readFileSync } from "node:fs";

const MARKER = "<!-- hashilab-review -->";
const body = `${MARKER}\n${readFileSync(process.argv[2], "utf8")}`;
const { GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL = "https://api.github.com" } = process.env;
const number = JSON.parse(readFileSync(GITHUB_EVENT_PATH, "utf8")).pull_request?.number;
if (!GITHUB_TOKEN || !GITHUB_REPOSITORY || !number) {
  console.error("comment-pr: needs GITHUB_TOKEN, GITHUB_REPOSITORY and a pull_request event");
  process.exit(1);
}

async function api(method, path, payload) {
  const res = await fetch(`${GITHUB_API_URL}/repos/${GITHUB_REPOSITORY}${path}`, {
    method,
    headers: { authorization: `Bearer ${GITHUB_TOKEN}`, accept: "application/vnd.github+json", "content-type": "application/json" },
    body: payload ? JSON.stringify(payload) : undefined,
  });
  if (res.status === 403) {
    // Pull requests from forks get a read-only token: the review is still in the job log.
    console.warn(`comment-pr: ${method} ${path} forbidden (read-only token?); not commenting`);
    process.exit(0);
  }
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const comments = await api("GET", `/issues/${number}/comments?per_page=100`);
const previous = comments.find((c) => c.body?.startsWith(MARKER));
if (previous) await api("PATCH", `/issues/comments/${previous.id}`, { body });
else await api("POST", `/issues/${number}/comments`, { body });
console.log(`${previous ? "updated" : "posted"} the review comment on #${number}`);
