package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Output formats of -o (--output).
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// outputFlags adds -o/--output table|json|yaml to fs. --json (kept for
// scripts written before -o) is -o json. The last one given wins.
func (r *runner) outputFlags(fs *flag.FlagSet) {
	r.format = formatTable
	set := func(s string) error {
		switch s {
		case formatTable, formatJSON, formatYAML:
			r.format = s
			return nil
		}
		return fmt.Errorf("want table, json or yaml, not %q", s)
	}
	fs.Func("o", "", set)
	fs.Func("output", "", set)
	fs.BoolFunc("json", "", func(s string) error {
		if s == "false" {
			r.format = formatTable
		} else {
			r.format = formatJSON
		}
		return nil
	})
}

// structured reports whether the output is JSON or YAML (for scripts)
// rather than a table (for people).
func (r *runner) structured() bool { return r.format == formatJSON || r.format == formatYAML }

// printData writes v as indented JSON, or as YAML with -o yaml. The YAML
// is made from v's JSON, so both formats have the same field names (the
// Management API's) in the same order.
func (r *runner) printData(v any) int {
	if err := writeData(r.stdout, r.format, v); err != nil {
		return r.fail(err)
	}
	return ExitOK
}

// writeData writes v in format (json or yaml).
func writeData(w io.Writer, format string, v any) error {
	if format != formatYAML {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	n, err := jsonNode(json.NewDecoder(bytes.NewReader(b)))
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}

// jsonNode reads one JSON value from dec as a YAML node, keeping the
// order of object members (a map would sort them).
func jsonNode(dec *json.Decoder) (*yaml.Node, error) {
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if t == '{' {
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.(string)})
			}
			v, err := jsonNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle // [] and {}
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		tag := "!!int"
		if _, err := t.Int64(); err != nil {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, errors.New("unexpected JSON token")
}
