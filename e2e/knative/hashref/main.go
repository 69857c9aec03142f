// Command hashref prints, for each KIngress it reads, the K-Network-Hash value Knative's own
// code gives it: the reference Portico's TypeScript hash (operator/sources/knative/hash.ts) is
// checked against. Input is a stream of YAML documents or JSON objects, from the files named on
// the command line or from stdin; output is one line per object, in order.
//
//	hashref [-json] [file...]
//
// -json prints json.Marshal of the spec instead (what is hashed, before namespace and name), to
// show where a divergence starts.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/networking/pkg/apis/networking/v1alpha1"
	"knative.dev/networking/pkg/ingress"
)

func main() {
	printJSON := flag.Bool("json", false, "print the marshaled spec instead of the hash")
	flag.Parse()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	files := flag.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if err := hashAll(name, *printJSON, out); err != nil {
			out.Flush()
			fmt.Fprintf(os.Stderr, "hashref: %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}

func hashAll(name string, printJSON bool, out io.Writer) error {
	in := os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	decoder := yaml.NewYAMLOrJSONDecoder(in, 4096)
	for index := 0; ; index++ {
		// Decoded in two steps, as JSON text first, so that empty YAML documents can be skipped
		// and the object reaches encoding/json exactly as the apiserver's JSON would.
		var raw json.RawMessage
		if err := decoder.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("object %d: %w", index, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var ing v1alpha1.Ingress
		if err := json.Unmarshal(raw, &ing); err != nil {
			return fmt.Errorf("object %d: %w", index, err)
		}
		line, err := render(&ing, printJSON)
		if err != nil {
			return fmt.Errorf("object %d: %w", index, err)
		}
		fmt.Fprintln(out, line)
	}
}

func render(ing *v1alpha1.Ingress, printJSON bool) (string, error) {
	if printJSON {
		spec, err := json.Marshal(ing.Spec)
		return string(spec), err
	}
	// InsertProbe returns the header value itself; it refuses a rule without an http block,
	// which ComputeHash still hashes, rendered in hex as InsertProbe renders it.
	if hash, err := ingress.InsertProbe(ing.DeepCopy()); err == nil {
		return hash, nil
	}
	sum, err := ingress.ComputeHash(ing)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum[:]), nil
}
