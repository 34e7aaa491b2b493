// Reads HCL jobspecs as Nomad's job parser (jobspec2) does: HashiCorp's HCL parser and
// evaluator (Debian's golang-github-hashicorp-hcl-v2-dev), with no variables, and a
// traversal whose root is not defined ("${NOMAD_TASK_DIR}", "${attr.unique.hostname}") kept as
// its source text, which is what jobspec2's EvalContext UndefinedVariable returns
// (jobspec2/types.config.go at v2.0.5). Input: a JSON array of texts on stdin. Output: a JSON
// array of {"body": ...} or {"error": "..."}; a body is {"attrs": {...}, "blocks": [...]}.
package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

type block struct {
	Type   string                 `json:"type"`
	Labels []string               `json:"labels"`
	Body   map[string]interface{} `json:"body"`
}

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		panic(err)
	}
	results := make([]map[string]interface{}, len(texts))
	for i, text := range texts {
		src := []byte(text)
		file, diags := hclsyntax.ParseConfig(src, "job.nomad.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			results[i] = map[string]interface{}{"error": diags.Error()}
			continue
		}
		body, err := readBody(file.Body.(*hclsyntax.Body), src)
		if err != nil {
			results[i] = map[string]interface{}{"error": err.Error()}
			continue
		}
		results[i] = map[string]interface{}{"body": body}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}

func readBody(body *hclsyntax.Body, src []byte) (map[string]interface{}, error) {
	attrs := map[string]interface{}{}
	for name, attr := range body.Attributes {
		value, err := eval(attr.Expr, src)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		attrs[name] = value
	}
	blocks := []block{}
	for _, b := range body.Blocks {
		inner, err := readBody(b.Body, src)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, block{Type: b.Type, Labels: b.Labels, Body: inner})
	}
	return map[string]interface{}{"attrs": attrs, "blocks": blocks}, nil
}

func eval(expr hclsyntax.Expression, src []byte) (interface{}, error) {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		out := ""
		for _, part := range e.Parts {
			s, err := evalString(part, src)
			if err != nil {
				return nil, err
			}
			out += s
		}
		return out, nil
	case *hclsyntax.TemplateWrapExpr:
		return evalString(e.Wrapped, src)
	case *hclsyntax.TupleConsExpr:
		items := []interface{}{}
		for _, item := range e.Exprs {
			v, err := eval(item, src)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	case *hclsyntax.ObjectConsExpr:
		object := map[string]interface{}{}
		for _, item := range e.Items {
			key, err := evalKey(item.KeyExpr, src)
			if err != nil {
				return nil, err
			}
			v, err := eval(item.ValueExpr, src)
			if err != nil {
				return nil, err
			}
			object[key] = v
		}
		return object, nil
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return nil, diags
	}
	return fromCty(v)
}

func evalKey(expr hclsyntax.Expression, src []byte) (string, error) {
	if k, ok := expr.(*hclsyntax.ObjectConsKeyExpr); ok {
		if name := hcl.ExprAsKeyword(k.Wrapped); name != "" && !k.ForceNonLiteral {
			return name, nil
		}
		return evalString(k.Wrapped, src)
	}
	return evalString(expr, src)
}

// A template part: literal text, a traversal Nomad leaves as written, or an expression HCL evaluates.
func evalString(expr hclsyntax.Expression, src []byte) (string, error) {
	if t, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok {
		if root := t.Traversal.RootName(); root != "var" && root != "local" {
			return undefinedVariable(t.Traversal, src), nil
		}
	}
	if _, ok := expr.(*hclsyntax.TemplateExpr); ok {
		v, err := eval(expr, src)
		if err != nil {
			return "", err
		}
		return v.(string), nil
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return "", diags
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1), nil
	}
	if v.Type() != cty.String {
		return "", fmt.Errorf("a template part of type %s", v.Type().FriendlyName())
	}
	return v.AsString(), nil
}

func fromCty(v cty.Value) (interface{}, error) {
	switch {
	case v.Type() == cty.String:
		return v.AsString(), nil
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return new(big.Float).SetFloat64(f), nil
	case v.Type() == cty.Bool:
		return v.True(), nil
	}
	return nil, fmt.Errorf("unexpected value of type %s", v.Type().FriendlyName())
}

// jobspec2's EvalContext UndefinedVariable (types.config.go at v2.0.5), as written there:
// the traversal's source, with the "${" before it and the "}"s and spaces after it.
func undefinedVariable(t hcl.Traversal, body []byte) string {
	start := t.SourceRange().Start.Byte
	end := t.SourceRange().End.Byte
	v := string(body[start:end])
	isBracketed := false
	for i := start - 1; i >= 1; i-- {
		if body[i] == '{' && body[i-1] == '$' {
			isBracketed = true
			v = string(body[i-1:start]) + v
			break
		} else if body[i] != ' ' {
			break
		}
	}
	if isBracketed {
		for i := end + 1; i < len(body); i++ {
			if body[i] == '}' {
				v += string(body[end:i])
			} else if body[i] != ' ' {
				v += "}"
				break
			}
		}
	} else {
		v = "${" + v + "}"
	}
	return v
}
