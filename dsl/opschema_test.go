package dsl

import (
	"reflect"
	"testing"

	"github.com/perfplan/perfplan/targets"
)

// TestOpSchemaDecodes checks that the op blocks of a kind with an op schema
// reach the target's Config.Ops in order, with their templates split into
// literal text and fields, their defaults filled and their weights kept out
// of the configuration; two workloads on one target add their ops.
func TestOpSchemaDecodes(t *testing.T) {
	t.Parallel()
	src := `
variable "prefix" {
  default = "/v1"
}
locals {
  ids = ["a", "b"]
}
target "web" "api" {
  base_url = "http://127.0.0.1:8080"
  headers  = { "Accept" = "text/plain", X-Team = "qa" }
}
workload "read" {
  target = target.web.api
  op "get" {
    weight  = 3
    path    = "${var.prefix}/items/${key}?w=${worker}&lit=$${key}"
    success = ["2xx", 404]
  }
  op "post" {
    method  = "POST"
    body    = <<-EOT
      {"id": ${key}, "v": "${value}"}
    EOT
    headers = {}
  }
  dynamic "op" {
    for_each = local.ids
    labels   = ["by_${op.value}"]
    content {
      path = "/${op.value}/${key}"
    }
  }
}
workload "write" {
  target = target.web.api
  op "get" {}
}
scenario "s" {
  workload = workload.read
  executor = "constant-vus"
  vus      = 1
  duration = "1s"
}
`
	p, diags, l := loadSrc(t, src, nil, nil)
	if diags.HasErrors() {
		t.Fatal(diagText(t, l, diags))
	}
	tg := p.Targets[0]
	if got := tg.Config.StringMap("headers"); !reflect.DeepEqual(got, map[string]string{"Accept": "text/plain", "X-Team": "qa"}) {
		t.Errorf("target headers %v", got)
	}
	ops := tg.Config.Ops
	var names []string
	for _, o := range ops {
		names = append(names, o.Name)
	}
	if want := []string{"get", "post", "by_a", "by_b", "get"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("target ops %q, want %q", names, want)
	}
	get := ops[0].Config
	wantPath := targets.TemplateValue{Parts: []targets.TemplatePart{
		{Text: "/v1/items/"}, {Field: "key"}, {Text: "?w="}, {Field: "worker"}, {Text: "&lit=${key}"},
	}}
	if got := get.Template("path"); !reflect.DeepEqual(got, wantPath) {
		t.Errorf("path %+v, want %+v", got, wantPath)
	}
	if get.Has("weight") || get.String("method") != "GET" || !reflect.DeepEqual(get.Strings("success"), []string{"2xx", "404"}) {
		t.Errorf("get config %v", get.Attrs)
	}
	post := ops[1].Config
	if got := post.Template("body").String(); got != "{\"id\": ${key}, \"v\": \"${value}\"}\n" {
		t.Errorf("body %q", got)
	}
	if got := post.Template("path"); !reflect.DeepEqual(got, targets.Literal("/")) {
		t.Errorf("default path %+v", got)
	}
	if h := post.StringMap("headers"); h == nil || len(h) != 0 {
		t.Errorf("empty headers %v", h)
	}
	if got := ops[3].Config.Template("path").String(); got != "/b/${key}" {
		t.Errorf("dynamic op path %q", got)
	}
	w := p.Workloads[0]
	if len(w.Ops) != 4 || w.Ops[0].Weight != 3 || w.Ops[0].Index != 0 || w.Ops[3].Index != 3 || p.Workloads[1].Ops[0].Index != 4 {
		t.Errorf("workload ops %+v / %+v", w.Ops, p.Workloads[1].Ops)
	}
}
