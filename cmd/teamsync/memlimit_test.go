package main

import (
	"io/fs"
	"testing"
)

func TestCgroupMemoryLimit(t *testing.T) {
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	tests := []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2 limit", map[string]string{v2: "268435456\n"}, 256 << 20},
		{"v2 unlimited", map[string]string{v2: "max\n", v1: "268435456\n"}, 0},
		{"v1 limit", map[string]string{v1: "134217728\n"}, 128 << 20},
		{"v1 unlimited", map[string]string{v1: "9223372036854771712\n"}, 0},
		{"no cgroup", nil, 0},
		{"garbage", map[string]string{v2: "lots"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := func(path string) ([]byte, error) {
				if s, ok := tt.files[path]; ok {
					return []byte(s), nil
				}
				return nil, fs.ErrNotExist
			}
			if got := cgroupMemoryLimit(read); got != tt.want {
				t.Errorf("cgroupMemoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
}
