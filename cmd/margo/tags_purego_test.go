//go:build purego

package main

// buildTags are the tags the tests were built with (TestMain builds the
// binary with them).
const buildTags = "purego"
