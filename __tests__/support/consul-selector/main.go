// Evaluates Consul binding rule selectors with go-bexpr v0.1.2, the version whose
// CreateEvaluatorForType Consul's binder calls (agent/consul/auth/binder.go doesSelectorMatch),
// against JWT claims as Consul's jwt auth method exposes them (ssoauth fieldDetails).
// Input (stdin): {"Selectors": [...], "Claims": [{claim: value}, ...]}; output: for each
// selector, per claims set, true/false, or "invalid: ..." when Consul would refuse it.
package main

import (
	"encoding/json"
	"os"

	"github.com/hashicorp/go-bexpr"
)

type fieldDetails struct {
	Values map[string]string   `bexpr:"value"`
	Lists  map[string][]string `bexpr:"list"`
}

func main() {
	var input struct {
		Selectors []string
		Claims    []map[string]string
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		panic(err)
	}
	out := make([][]interface{}, len(input.Selectors))
	for i, selector := range input.Selectors {
		out[i] = []interface{}{}
		for _, claims := range input.Claims {
			fields := &fieldDetails{Values: claims, Lists: map[string][]string{}}
			eval, err := bexpr.CreateEvaluatorForType(selector, nil, fields)
			if err != nil {
				out[i] = append(out[i], "invalid: "+err.Error())
				continue
			}
			result, err := eval.Evaluate(fields)
			// Consul: "fails to match if evaluation fails".
			out[i] = append(out[i], err == nil && result)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
