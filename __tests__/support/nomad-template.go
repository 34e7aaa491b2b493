// Renders a Nomad template's data with Go's text/template, the engine consul-template runs,
// and stand-ins for the consul-template functions hashilab's templates call, with their
// types: nomadVar returns items whose .Value is the string (dependency/nomad_var_structs.go
// NomadVarItem), nomadVarList the metadata of every variable under a prefix (.Path),
// nomadService the registrations (.Address, .Port), indent consul-template's own
// (template/funcs.go indent, copied). Missing keys are errors, as in Nomad's templates.
// Input on stdin: {"data": "...", "variables": {path: {item: value}}, "services": {name: [{"Address": "...", "Port": n}]}, "env": {...}}.
// Output: the rendered text.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"
)

type item struct{ Key, Value string }

func (i item) String() string { return i.Value }

type meta struct{ Path string }

type service struct {
	Address string
	Port    int
}

type input struct {
	Data      string                       `json:"data"`
	Variables map[string]map[string]string `json:"variables"`
	Services  map[string][]service         `json:"services"`
	Env       map[string]string            `json:"env"`
}

func indent(spaces int, s string) (string, error) {
	if spaces < 0 {
		return "", fmt.Errorf("indent value must be a positive integer")
	}
	var output, prefix []byte
	var sp bool
	var size int
	prefix = []byte(strings.Repeat(" ", spaces))
	sp = true
	for _, c := range []byte(s) {
		if sp && c != '\n' {
			output = append(output, prefix...)
			size += spaces
		}
		output = append(output, c)
		sp = c == '\n'
		size++
	}
	return string(output[:size]), nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"nomadVar": func(path string) (map[string]item, error) {
			v, ok := in.Variables[path]
			if !ok {
				return nil, fmt.Errorf("nomadVar %q: no such variable (Nomad would wait for it)", path)
			}
			out := map[string]item{}
			for k, value := range v {
				out[k] = item{k, value}
			}
			return out, nil
		},
		"nomadVarList": func(prefix string) []meta {
			var out []meta
			for path := range in.Variables {
				if strings.HasPrefix(path, prefix) {
					out = append(out, meta{path})
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
			return out
		},
		"nomadService": func(name string) []service { return in.Services[name] },
		"env":          func(name string) string { return in.Env[name] },
		"indent":       indent,
	}
	t, err := template.New("t").Option("missingkey=error").Funcs(funcs).Parse(in.Data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := t.Execute(os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
