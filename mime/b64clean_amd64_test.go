//go:build !purego

package mime

import "golang.org/x/sys/cpu"

// cleanPrefixRoutines lists the values of useAVX2 this CPU can run.
func cleanPrefixRoutines() []bool {
	if cpu.X86.HasAVX2 {
		return []bool{false, true}
	}
	return []bool{false}
}

// setAVX2 sets useAVX2 and returns a function that puts it back.
func setAVX2(on bool) func() {
	old := useAVX2
	useAVX2 = on
	return func() { useAVX2 = old }
}
