//go:build !amd64 || purego

package mime

func cleanPrefixRoutines() []bool { return []bool{false} }

func setAVX2(bool) func() { return func() {} }
