package main

import "io"

func cmdReproduce(args []string, stdout, stderr io.Writer) error { return usagef("not yet") }
func cmdPlot(args []string, stdout, stderr io.Writer) error      { return usagef("not yet") }
