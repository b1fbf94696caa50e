package customizer

import (
	"slices"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

// TestDecodeInput holds decodeInput to what JSON.parse makes.
func TestDecodeInput(t *testing.T) {
	v, err := newRunner() // locked down: Object.prototype is frozen
	if err != nil {
		t.Fatal(err)
	}
	rt := v.rt
	stringify, _ := goja.AssertFunction(rt.Get("JSON").(*goja.Object).Get("stringify"))
	parse, _ := goja.AssertFunction(rt.Get("JSON").(*goja.Object).Get("parse"))
	for _, in := range []string{
		input,
		`{}`,
		` { "a" : [ ] , "b" : { } } `,
		`{"n":[0,-0,1,-1,1.5,1e3,-2.5E-3,9007199254740993,123456789012345678901234567890]}`,
		`{"s":"plain","e":"tab\tquote\"slash\\\/ é \u00e9 \ud83d\ude00 \n","k\"ey":1}`,
		`{"__proto__":{"x":1},"b":[true,false,null]}`,
		`{"toString":"t","constructor":1,"hasOwnProperty":[],"valueOf":{}}`,
		`{"2":"two","1":"one","a":"a"}`,
		`{"deep":[[[[{"a":[1,[2,[3]]]}]]]]}`,
	} {
		got, err := decodeInput(rt, v.inherited, in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		want, err := parse(goja.Undefined(), rt.ToValue(in))
		if err != nil {
			t.Fatal(err)
		}
		g, _ := stringify(goja.Undefined(), got)
		w, _ := stringify(goja.Undefined(), want)
		if g.String() != w.String() {
			t.Errorf("%s:\n got %s\nwant %s", in, g, w)
		}
		if strings.HasPrefix(in, `{"__proto__"`) && !slices.Contains(got.Keys(), "__proto__") {
			t.Errorf("__proto__ is not an own member: %v", got.Keys())
		}
	}
	for _, bad := range []string{``, `[]`, `"s"`, `{`, `{"a"}`, `{"a":1,}`, `{"a":tru}`, `{} x`, `{"a":"\x"}`} {
		if _, err := decodeInput(rt, v.inherited, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
