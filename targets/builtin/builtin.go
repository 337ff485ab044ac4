// Package builtin assembles the registry of the target kinds that ship with
// perfplan.
package builtin

import (
	"github.com/perfplan/perfplan/targets"
	"github.com/perfplan/perfplan/targets/cache"
	httpt "github.com/perfplan/perfplan/targets/http"
	"github.com/perfplan/perfplan/targets/limiter"
	"github.com/perfplan/perfplan/targets/noop"
	"github.com/perfplan/perfplan/targets/sleep"
)

// Registry returns a new registry holding the built-in kinds. Callers may
// register their own kinds on it before passing it to cli.Main.
func Registry() *targets.Registry {
	r := targets.NewRegistry()
	r.MustRegister(noop.Kind())
	r.MustRegister(sleep.Kind())
	r.MustRegister(cache.Kind())
	r.MustRegister(limiter.Kind())
	r.MustRegister(httpt.Kind())
	return r
}
