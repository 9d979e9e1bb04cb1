//go:build !unix

package audit

// noFollow is 0 where open has no such flag; openFile's check before
// opening still refuses a link.
const noFollow = 0
