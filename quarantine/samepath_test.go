package quarantine

import (
	"runtime"
	"testing"
)

// TestSamePath asserts how Add and Restore compare a folder's resolved
// path with the one recorded: byte for byte, except that on Windows case
// is ignored (its file names are case-insensitive). samePath has no fold
// parameter (it reads runtime.GOOS), so on other systems the case-folding
// rows assert that it does not fold: a recorded "/mr/vsi 1/Queue" that now
// resolves to "/mr/vsi 1/queue" is another folder there, and Restore must
// refuse it.
func TestSamePath(t *testing.T) {
	win := runtime.GOOS == "windows"
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", "/mr/vsi 1/Queue", "/mr/vsi 1/Queue", true},
		{"empty", "", "", true},
		{"different folder", "/mr/vsi 1/Queue", "/mr/vsi 1/PickUp", false},
		{"case of the last element", "/mr/vsi 1/Queue", "/mr/vsi 1/queue", win},
		{"case everywhere", `C:\Inetpub\Mailroot\Queue`, `c:\inetpub\mailroot\QUEUE`, win},
		{"prefix is not the same path", "/mr/vsi 1", "/mr/vsi 10", false},
		// samePath compares resolved paths: it does not clean them.
		{"uncleaned spelling", "/mr/vsi 1/Queue/", "/mr/vsi 1/Queue", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := samePath(c.a, c.b); got != c.want {
				t.Errorf("samePath(%q, %q) = %v, want %v (GOOS %s)", c.a, c.b, got, c.want, runtime.GOOS)
			}
			if got := samePath(c.b, c.a); got != c.want {
				t.Errorf("samePath(%q, %q) = %v, want %v: not symmetric", c.b, c.a, got, c.want)
			}
		})
	}
}
