// Evaluates Traefik's Nomad provider `constraints` expressions and HostRegexp patterns the way
// Traefik v3.6 does: the expression is parsed as a Go expression (vulcand/predicate calls
// go/parser.ParseExpr), Tag is an exact match, TagRegex is regexp.MatchString over any tag
// (pkg/provider/constraints/constraints_tags.go), and an invalid regexp matches nothing.
// Input on stdin: {"constraint": "...", "tagSets": [[...]], "regexp": "...", "hosts": [...]}.
// Output: {"matches": [bool per tag set], "hostMatches": [bool per host]}.
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
)

type input struct {
	Constraint string     `json:"constraint"`
	TagSets    [][]string `json:"tagSets"`
	Regexp     string     `json:"regexp"`
	Hosts      []string   `json:"hosts"`
}

func eval(e ast.Expr, tags []string) (bool, error) {
	switch n := e.(type) {
	case *ast.ParenExpr:
		return eval(n.X, tags)
	case *ast.UnaryExpr:
		if n.Op != token.NOT {
			return false, fmt.Errorf("unsupported operator %s", n.Op)
		}
		v, err := eval(n.X, tags)
		return !v, err
	case *ast.BinaryExpr:
		l, err := eval(n.X, tags)
		if err != nil {
			return false, err
		}
		r, err := eval(n.Y, tags)
		if err != nil {
			return false, err
		}
		switch n.Op {
		case token.LAND:
			return l && r, nil
		case token.LOR:
			return l || r, nil
		}
		return false, fmt.Errorf("unsupported operator %s", n.Op)
	case *ast.CallExpr:
		name, ok := n.Fun.(*ast.Ident)
		if !ok || len(n.Args) != 1 {
			return false, fmt.Errorf("unsupported call")
		}
		lit, ok := n.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return false, fmt.Errorf("argument is not a string literal")
		}
		arg, err := strconv.Unquote(lit.Value)
		if err != nil {
			return false, err
		}
		switch name.Name {
		case "Tag":
			for _, t := range tags {
				if t == arg {
					return true, nil
				}
			}
			return false, nil
		case "TagRegex":
			re, err := regexp.Compile(arg)
			if err != nil {
				return false, nil
			}
			for _, t := range tags {
				if re.MatchString(t) {
					return true, nil
				}
			}
			return false, nil
		}
		return false, fmt.Errorf("unsupported function %s", name.Name)
	}
	return false, fmt.Errorf("unsupported expression %T", e)
}

func fail(v ...any) {
	fmt.Fprintln(os.Stderr, v...)
	os.Exit(2)
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := map[string][]bool{"matches": {}, "hostMatches": {}}
	if in.Constraint != "" {
		expr, err := parser.ParseExpr(in.Constraint)
		if err != nil {
			fail("constraint does not parse:", err)
		}
		for _, tags := range in.TagSets {
			v, err := eval(expr, tags)
			if err != nil {
				fail(err)
			}
			out["matches"] = append(out["matches"], v)
		}
	}
	if in.Regexp != "" {
		re, err := regexp.Compile(in.Regexp)
		if err != nil {
			fail("regexp does not compile:", err)
		}
		for _, h := range in.Hosts {
			out["hostMatches"] = append(out["hostMatches"], re.MatchString(h))
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
