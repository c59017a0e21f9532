package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module build information.
var version = ""

func init() {
	register(&command{
		Name:    "version",
		Summary: "print detc's version",
		Usage: `Usage: detc version

Prints detc's version, the Go version it was built with and the platform.

Example:
  detc version`,
		Run: func(env *runEnv, _ []string) int {
			v := version
			if v == "" {
				v = "(devel)"
				if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
					v = info.Main.Version
				}
			}
			fmt.Fprintf(env.Stdout, "detc %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		},
	})
}
