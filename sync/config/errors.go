package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem found in a mapping file, at the line that causes it.
type Error struct {
	// File is the mapping file as it was named to Load or Parse.
	File string
	// Line is the 1-based line of the offending key or value; 0 when the
	// problem has no line (an empty file).
	Line int
	// Path locates the setting inside the file, such as "teams[1].groups[0]"
	// or "sync"; empty for the top level.
	Path string
	// Msg says what is wrong, naming the key concerned.
	Msg string

	err error // underlying cause, for errors.Is/As (a file read that failed)
}

// Error renders the problem as "file:line: path: message", leaving out the
// parts that are empty so the text reads naturally in every case.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0 && e.File != "":
		b.WriteString(":" + strconv.Itoa(e.Line))
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e Error) Unwrap() error { return e.err }

// Errors is every problem found in one pass over a mapping file, sorted by
// line, so a user can fix them all at once.
type Errors struct {
	List []Error
}

// Error renders one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, x := range e.List {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.Is and errors.As.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, x := range e.List {
		errs[i] = x
	}
	return errs
}

// collector gathers the problems of one file.
type collector struct {
	file string
	list []Error
}

// add records a problem at line under path.
func (c *collector) add(line int, path, format string, args ...any) {
	c.list = append(c.list, Error{File: c.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by line (keeping the order they were found
// in on one line, and dropping exact repeats that aliases can cause), or nil
// when there are none.
func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	list := slices.Clone(c.list)
	slices.SortStableFunc(list, func(a, b Error) int { return cmp.Compare(a.Line, b.Line) })
	list = slices.CompactFunc(list, func(a, b Error) bool {
		return a.Line == b.Line && a.Path == b.Path && a.Msg == b.Msg
	})
	return &Errors{List: list}
}
