package client

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseEHLO(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		ext   map[string]string
		mechs []string
	}{
		{
			name:  "no lines",
			lines: nil,
			ext:   map[string]string{},
		},
		{
			name:  "keywords upper-cased, params kept",
			lines: []string{"PIPELINING", "8bitmime", "SIZE 35882577", "StartTLS", "X-Vendor Mixed Case  params "},
			ext: map[string]string{
				"PIPELINING": "", "8BITMIME": "", "SIZE": "35882577", "STARTTLS": "", "X-VENDOR": "Mixed Case  params",
			},
		},
		{
			name:  "later duplicate keyword wins",
			lines: []string{"SIZE 100", "size 200"},
			ext:   map[string]string{"SIZE": "200"},
		},
		{
			name:  "AUTH lines merged in order",
			lines: []string{"AUTH PLAIN LOGIN", "SIZE 10", "AUTH CRAM-MD5 PLAIN", "AUTH XOAUTH2"},
			ext:   map[string]string{"AUTH": "PLAIN LOGIN CRAM-MD5 XOAUTH2", "SIZE": "10"},
			mechs: []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"},
		},
		{
			name:  "legacy AUTH= first",
			lines: []string{"AUTH=LOGIN PLAIN", "AUTH PLAIN CRAM-MD5"},
			ext:   map[string]string{"AUTH": "LOGIN PLAIN CRAM-MD5"},
			mechs: []string{"LOGIN", "PLAIN", "CRAM-MD5"},
		},
		{
			name:  "legacy AUTH= last",
			lines: []string{"AUTH PLAIN CRAM-MD5", "auth=login plain"},
			ext:   map[string]string{"AUTH": "PLAIN CRAM-MD5 LOGIN"},
			mechs: []string{"PLAIN", "CRAM-MD5", "LOGIN"},
		},
		{
			name:  "mechanisms case-insensitive",
			lines: []string{"auth plain", "AUTH PLAIN", "Auth Plain login"},
			ext:   map[string]string{"AUTH": "PLAIN LOGIN"},
			mechs: []string{"PLAIN", "LOGIN"},
		},
		{
			name:  "extra spaces between mechanisms",
			lines: []string{"AUTH  PLAIN   LOGIN "},
			ext:   map[string]string{"AUTH": "PLAIN LOGIN"},
			mechs: []string{"PLAIN", "LOGIN"},
		},
		{
			name: "invalid mechanisms dropped",
			lines: []string{
				"AUTH PL@IN ABCDEFGHIJKLMNOPQRSTU ABCDEFGHIJKLMNOPQRST LO\x01GIN PLAIN\x7f LO?GIN PLAIN SCRAM-SHA-256 X_TOKEN",
			},
			ext:   map[string]string{"AUTH": "ABCDEFGHIJKLMNOPQRST PLAIN SCRAM-SHA-256 X_TOKEN"},
			mechs: []string{"ABCDEFGHIJKLMNOPQRST", "PLAIN", "SCRAM-SHA-256", "X_TOKEN"},
		},
		{
			name:  "AUTH without mechanisms",
			lines: []string{"AUTH"},
			ext:   map[string]string{"AUTH": ""},
		},
		{
			name:  "AUTH with only invalid mechanisms",
			lines: []string{"AUTH PL@IN"},
			ext:   map[string]string{"AUTH": ""},
		},
		{
			name:  "empty legacy AUTH=",
			lines: []string{"AUTH="},
			ext:   map[string]string{"AUTH": ""},
		},
		{
			name:  "invalid keywords dropped",
			lines: []string{"-FOO", "", " SIZE 10", "F\x00O", "X_FOO", "FOO=BAR", "FOO\tBAR", "AUTHX=PLAIN", "8BITMIME"},
			ext:   map[string]string{"8BITMIME": ""},
		},
		{
			name:  "space splits keyword from param",
			lines: []string{"FO O"},
			ext:   map[string]string{"FO": "O"},
		},
		{
			name:  "keyword may contain hyphens",
			lines: []string{"X-EXPS GSSAPI NTLM", "DELIVERBY 300", "MT-PRIORITY MIXER"},
			ext:   map[string]string{"X-EXPS": "GSSAPI NTLM", "DELIVERBY": "300", "MT-PRIORITY": "MIXER"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ext, mechs := parseEHLO(tt.lines)
			if !maps.Equal(ext, tt.ext) {
				t.Errorf("parseEHLO(%q) ext = %q, want %q", tt.lines, ext, tt.ext)
			}
			if !slices.Equal(mechs, tt.mechs) {
				t.Errorf("parseEHLO(%q) mechs = %q, want %q", tt.lines, mechs, tt.mechs)
			}
			_, got := ext["AUTH"]
			_, want := tt.ext["AUTH"]
			if got != want {
				t.Errorf("parseEHLO(%q): AUTH present = %t, want %t", tt.lines, got, want)
			}
		})
	}
}

// TestParseEHLONonASCII: strings.ToUpper would fold "ı" (U+0131) to "I"
// and "ſ" (U+017F) to "S", making PLAIN of "plaın", STARTTLS of "STARTTLſ",
// and a valid 20-byte name of a 21-byte one. Such names are dropped.
func TestParseEHLONonASCII(t *testing.T) {
	lines := []string{"AUTH pla\u0131n LOGIN", "STARTTL\u017f", "AUTH " + strings.Repeat("A", 19) + "\u017f"}
	ext, mechs := parseEHLO(lines)
	if want := []string{"LOGIN"}; !slices.Equal(mechs, want) {
		t.Errorf("parseEHLO(%q) mechs = %q, want %q", lines, mechs, want)
	}
	if want := map[string]string{"AUTH": "LOGIN"}; !maps.Equal(ext, want) {
		t.Errorf("parseEHLO(%q) ext = %q, want %q", lines, ext, want)
	}
}

func TestUpperASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"auth plain", "AUTH PLAIN"},
		{"Cram-Md5 x_y 8bitmime", "CRAM-MD5 X_Y 8BITMIME"},
		{"pla\u0131n \u017f \u00e9", "PLA\u0131N \u017f \u00e9"},
	}
	for _, tt := range tests {
		if got := upperASCII(tt.in); got != tt.want {
			t.Errorf("upperASCII(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidKeyword(t *testing.T) {
	tests := []struct {
		k  string
		ok bool
	}{
		{"SIZE", true},
		{"8BITMIME", true},
		{"X-EXPS", true},
		{"FOO-", true},
		{"", false},
		{"-FOO", false},
		{"size", false}, // callers upper-case first
		{"X_FOO", false},
		{"FOO=BAR", false},
		{"FOO BAR", false},
	}
	for _, tt := range tests {
		if got := validKeyword(tt.k); got != tt.ok {
			t.Errorf("validKeyword(%q) = %t, want %t", tt.k, got, tt.ok)
		}
	}
}
