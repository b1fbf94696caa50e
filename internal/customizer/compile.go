package customizer

import (
	"errors"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/parser"
)

// wrap makes src the body of a function that runs the script's top level
// and returns its entry (undefined when it defines none). The newline keeps
// a trailing // comment from swallowing the end.
func wrap(src string) string {
	return "(function () {" + src + "\n;return typeof " + EntryPoint + " === 'function' ? " + EntryPoint + " : undefined;\n})"
}

// parseWrapped parses the wrapped script and checks that it is still one
// function: a script that closes the wrapper early (to run code at the
// global level, where it could keep state between calls) is refused as a
// syntax error.
func parseWrapped(src string) (*ast.Program, *Error) {
	prog, err := parser.ParseFile(nil, "customizer.js", wrap(src), 0)
	if err != nil {
		return nil, syntaxError(err)
	}
	if len(prog.Body) != 1 {
		return nil, escaped()
	}
	st, ok := prog.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return nil, escaped()
	}
	if _, ok := st.Expression.(*ast.FunctionLiteral); !ok {
		return nil, escaped()
	}
	return prog, nil
}

func escaped() *Error {
	m := "SyntaxError: Unexpected token }"
	return &Error{Kind: KindSyntax, Message: m, Detail: m}
}

func syntaxError(err error) *Error {
	msg := err.Error()
	var el parser.ErrorList
	var ce *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &ce):
		msg = ce.Message
	case errors.As(err, &el) && len(el) > 0:
		msg = el[0].Message
	}
	return &Error{Kind: KindSyntax, Message: "SyntaxError: " + msg, Detail: err.Error()}
}

// compileWrapped compiles the wrapped script for a runtime.
func compileWrapped(src string) (*goja.Program, *Error) {
	prog, e := parseWrapped(src)
	if e != nil {
		return nil, e
	}
	p, err := goja.CompileAST(prog, false)
	if err != nil {
		return nil, syntaxError(err)
	}
	return p, nil
}
