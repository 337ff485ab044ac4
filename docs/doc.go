// Package docs holds perfplan's reference pages, in Markdown. It has no
// code: its tests keep the pages honest. Every plan snippet in README.md
// and docs/*.md must load through the plan loader with the built-in
// targets, and every relative link must point at a file (and heading) that
// exists. docs/README.md says how a snippet that is not a whole plan is
// marked.
package docs
