package api

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// The /docs page is rendered once, on the server, from the OpenAPI
// document: plain HTML and CSS, no scripts, so it works offline and behind
// any firewall.

type docOp struct {
	Method, Path, ID, Summary, Description, Who string
	Params                                      []docField
	Body                                        []docField
	BodyName                                    string
	Responses                                   []docResponse
}

type docField struct {
	Name, In, Type, Rules, Doc string
	Required                   bool
}

type docResponse struct {
	Status, Description, Schema string
}

type docSchema struct {
	Name   string
	Fields []docField
}

type docTag struct {
	Name string
	Ops  []docOp
}

func renderDocs(oapi *huma.OpenAPI) ([]byte, error) {
	byTag := map[string][]docOp{}
	for path, item := range oapi.Paths {
		for _, m := range []struct {
			method string
			op     *huma.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
			if m.op == nil {
				continue
			}
			tag := "other"
			if len(m.op.Tags) > 0 {
				tag = m.op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], docOperation(oapi, m.method, path, m.op))
		}
	}
	var tags []docTag
	for name, ops := range byTag {
		sort.Slice(ops, func(i, j int) bool {
			if ops[i].Path != ops[j].Path {
				return ops[i].Path < ops[j].Path
			}
			return ops[i].Method < ops[j].Method
		})
		tags = append(tags, docTag{Name: name, Ops: ops})
	}
	order := map[string]int{"players": 0, "sessions": 1, "orders": 2, "messages": 3, "events": 4, "metadata": 5, "operations": 9}
	sort.Slice(tags, func(i, j int) bool { return order[tags[i].Name] < order[tags[j].Name] })

	var schemas []docSchema
	for name, sc := range oapi.Components.Schemas.Map() {
		if sc.Type == huma.TypeObject && len(sc.Properties) > 0 {
			schemas = append(schemas, docSchema{Name: name, Fields: docFields(sc)})
		}
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })

	var buf bytes.Buffer
	err := docsPage.Execute(&buf, map[string]any{
		"Title": oapi.Info.Title, "Description": oapi.Info.Description, "Tags": tags, "Schemas": schemas,
	})
	return buf.Bytes(), err
}

func docOperation(oapi *huma.OpenAPI, method, path string, op *huma.Operation) docOp {
	who, _ := op.Extensions[accessExtension].(string)
	d := docOp{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description, Who: who}
	for _, p := range op.Parameters {
		d.Params = append(d.Params, docField{
			Name: p.Name, In: p.In, Type: typeName(p.Schema), Rules: rules(p.Schema), Doc: p.Description, Required: p.Required,
		})
	}
	if op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil && mt.Schema != nil {
			sc := resolve(oapi, mt.Schema)
			d.BodyName = typeName(mt.Schema)
			d.Body = docFields(sc)
		}
	}
	codes := make([]string, 0, len(op.Responses))
	for code := range op.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		r := op.Responses[code]
		desc := r.Description
		if n, err := strconv.Atoi(code); err == nil && desc == "" {
			desc = http.StatusText(n)
		}
		var schema string
		for ct, mt := range r.Content {
			schema = ct
			if mt.Schema != nil {
				schema += " " + typeName(mt.Schema)
			}
		}
		d.Responses = append(d.Responses, docResponse{Status: code, Description: desc, Schema: schema})
	}
	return d
}

func resolve(oapi *huma.OpenAPI, sc *huma.Schema) *huma.Schema {
	if sc.Ref != "" {
		if r := oapi.Components.Schemas.SchemaFromRef(sc.Ref); r != nil {
			return r
		}
	}
	return sc
}

func docFields(sc *huma.Schema) []docField {
	required := map[string]bool{}
	for _, r := range sc.Required {
		required[r] = true
	}
	names := make([]string, 0, len(sc.Properties))
	for name := range sc.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	fields := make([]docField, 0, len(names))
	for _, name := range names {
		p := sc.Properties[name]
		fields = append(fields, docField{Name: name, Type: typeName(p), Rules: rules(p), Doc: p.Description, Required: required[name]})
	}
	return fields
}

func typeName(sc *huma.Schema) string {
	switch {
	case sc == nil:
		return "any"
	case sc.Ref != "":
		return sc.Ref[strings.LastIndexByte(sc.Ref, '/')+1:]
	case sc.Type == huma.TypeArray:
		return "array of " + typeName(sc.Items)
	case sc.Type == "":
		return "any JSON"
	case sc.Format != "":
		return sc.Type + " (" + sc.Format + ")"
	}
	return sc.Type
}

func rules(sc *huma.Schema) string {
	if sc == nil {
		return ""
	}
	var r []string
	add := func(format string, v any) { r = append(r, fmt.Sprintf(format, v)) }
	if sc.MinLength != nil {
		add("min length %d", *sc.MinLength)
	}
	if sc.MaxLength != nil {
		add("max length %d", *sc.MaxLength)
	}
	if sc.Minimum != nil {
		add(">= %v", *sc.Minimum)
	}
	if sc.Maximum != nil {
		add("<= %v", *sc.Maximum)
	}
	if sc.MinItems != nil {
		add("min items %d", *sc.MinItems)
	}
	if sc.MaxItems != nil {
		add("max items %d", *sc.MaxItems)
	}
	if sc.Pattern != "" {
		add("pattern %s", sc.Pattern)
	}
	if sc.Default != nil {
		add("default %v", sc.Default)
	}
	if len(sc.Enum) > 0 {
		add("one of %v", sc.Enum)
	}
	return strings.Join(r, ", ")
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h2{border-bottom:2px solid #ccc;margin-top:2em;text-transform:capitalize}
section.op{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0}
h3{font:600 1em ui-monospace,monospace;margin:.3em 0}
.m{display:inline-block;min-width:4.5em;color:#fff;border-radius:3px;padding:0 .4em;text-align:center}
.GET{background:#2b7bb9}.POST{background:#2e8b57}.PUT{background:#b8860b}.PATCH{background:#8b5a2b}.DELETE{background:#b22222}
table{border-collapse:collapse;margin:.4em 0;width:100%}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
code,td:first-child{font-family:ui-monospace,monospace}.who{color:#555;font-style:italic}
</style></head><body>
<h1>{{.Title}} API</h1><p>{{.Description}}</p>
<p>JSON over HTTP; errors are <code>application/problem+json</code> with <code>errors: [{field, message}]</code> for invalid input.
Lists take <code>limit</code> and <code>page_token</code> and answer <code>{items, next_page_token}</code>, newest first.
The machine-readable contract is <a href="/openapi.json">/openapi.json</a>.</p>
<nav><ul>{{range .Tags}}<li><a href="#{{.Name}}">{{.Name}}</a></li>{{end}}<li><a href="#schemas">schemas</a></li></ul></nav>
{{range .Tags}}<h2 id="{{.Name}}">{{.Name}}</h2>
{{range .Ops}}<section class="op" id="{{.ID}}"><h3><span class="m {{.Method}}">{{.Method}}</span> {{.Path}}</h3>
<p>{{.Summary}}{{if .Description}}. {{.Description}}{{end}}</p><p class="who">{{.Who}}</p>
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>type</th><th>rules</th><th></th></tr>
{{range .Params}}<tr><td>{{.Name}}{{if .Required}} *{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Rules}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}
{{if .BodyName}}<p>Request body: <code>{{.BodyName}}</code></p>{{if .Body}}<table><tr><th>field</th><th>type</th><th>rules</th><th></th></tr>
{{range .Body}}<tr><td>{{.Name}}{{if .Required}} *{{end}}</td><td>{{.Type}}</td><td>{{.Rules}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}{{end}}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>
{{range .Responses}}<tr><td>{{.Status}}</td><td>{{.Description}}</td><td>{{.Schema}}</td></tr>{{end}}</table>
</section>{{end}}{{end}}
<h2 id="schemas">schemas</h2><p>* marks a required field.</p>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3><table><tr><th>field</th><th>type</th><th>rules</th><th></th></tr>
{{range .Fields}}<tr><td>{{.Name}}{{if .Required}} *{{end}}</td><td>{{.Type}}</td><td>{{.Rules}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))
