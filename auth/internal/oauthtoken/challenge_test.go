package oauthtoken_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/smtpauth/smtpauth/auth/internal/oauthtoken"
)

// RFC 7628 §3.2.2's failure challenge, as §4.3 prints it decoded.
const rfc7628Challenge = `{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}`

func TestParseChallenge(t *testing.T) {
	f, err := oauthtoken.ParseChallenge([]byte(rfc7628Challenge), errMalformed)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"status":               "invalid_token",
		"scope":                "example_scope",
		"openid-configuration": "https://example.com/.well-known/openid-configuration",
		"schemes":              "",
	} {
		if got := f.Get(key); got != want {
			t.Errorf("Get(%q) = %q; want %q", key, got, want)
		}
	}
}

func TestParseChallengeMalformed(t *testing.T) {
	for _, c := range []string{
		"", "{", `{"status":"x"`, `["x"]`, `"x"`, `401`, `null`, `true`,
		"{\"status\":\"a\x01b\"}", // raw control bytes are not JSON
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000),
	} {
		if _, err := oauthtoken.ParseChallenge([]byte(c), errMalformed); err != errMalformed {
			t.Errorf("ParseChallenge(%.40q) = %v; want the malformed sentinel itself", c, err)
		}
	}
}

// The bound is on the challenge's bytes: 4096 are read, one more is not,
// and the error says how long it was.
func TestParseChallengeBound(t *testing.T) {
	fit := `{"status":"401","x":"` + strings.Repeat("a", 4096-len(`{"status":"401","x":""}`)) + `"}`
	if len(fit) != 4096 {
		t.Fatalf("test challenge is %d bytes", len(fit))
	}
	if f, err := oauthtoken.ParseChallenge([]byte(fit), errMalformed); err != nil || f.Get("status") != "401" {
		t.Errorf("ParseChallenge(4096 bytes) = %v, %v; want status 401", f.Get("status"), err)
	}
	over := `{"status":"401","x":"` + strings.Repeat("a", 4097-len(`{"status":"401","x":""}`)) + `"}`
	_, err := oauthtoken.ParseChallenge([]byte(over), errMalformed)
	if !errors.Is(err, errMalformed) || err.Error() != "test: malformed: 4097 bytes" {
		t.Errorf("ParseChallenge(4097 bytes) = %v; want test: malformed: 4097 bytes", err)
	}
}

func TestFieldsGet(t *testing.T) {
	f, err := oauthtoken.ParseChallenge([]byte(`{
		"string": "invalid_token",
		"int": 401,
		"float": 1.5e3,
		"bool": true,
		"null": null,
		"array": ["a"],
		"object": {"a": 1},
		"controls": "a\r\n250 OK\u0000\u001b[31m",
		"bidi": "abc\u202edef",
		"invalid": "in`+"\xff"+`valid",
		"long": "`+strings.Repeat("s", 1000)+`",
		"long runes": "`+strings.Repeat("é", 300)+`",
		"dup": "first", "dup": "second"
	}`), errMalformed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, want string }{
		{"string", "invalid_token"},
		{"int", "401"},
		{"float", "1.5e3"},
		{"bool", ""},
		{"null", ""},
		{"array", ""},
		{"object", ""},
		{"missing", ""},
		{"controls", "a\ufffd\ufffd250 OK\ufffd\ufffd[31m"},
		{"bidi", "abc\ufffddef"},
		{"invalid", "in\ufffdvalid"},
		{"long", strings.Repeat("s", 256) + "..."},
		{"long runes", strings.Repeat("é", 128) + "..."},
		{"dup", "second"},
	} {
		if got := f.Get(tc.key); got != tc.want {
			t.Errorf("Get(%q) = %q; want %q", tc.key, got, tc.want)
		}
	}
	// The zero Fields, as ParseChallenge returns with an error, has no
	// members.
	if got := (oauthtoken.Fields{}).Get("status"); got != "" {
		t.Errorf("zero Fields: Get = %q", got)
	}
}

func TestRefusalText(t *testing.T) {
	for _, tc := range []struct {
		pairs []string
		want  string
	}{
		{nil, "test: server refused the token"},
		{[]string{"status", "", "scope", ""}, "test: server refused the token"},
		{[]string{"status", "401", "scope", "https://mail.google.com/"},
			`test: server refused the token, status "401", scope "https://mail.google.com/"`},
		{[]string{"status", "", "scope", "x"}, `test: server refused the token, scope "x"`},
		{[]string{"status", "x\ny\u202e"}, `test: server refused the token, status "x\ny\u202e"`},
		{[]string{"status", "401", "scope"}, `test: server refused the token, status "401"`},
	} {
		if got := oauthtoken.RefusalText("test", tc.pairs...); got != tc.want {
			t.Errorf("RefusalText(%q) = %s\nwant %s", tc.pairs, got, tc.want)
		}
	}
}

// FuzzParseChallenge: no input makes ParseChallenge or Get panic, and
// what Get returns is printable, valid UTF-8 and bounded.
func FuzzParseChallenge(f *testing.F) {
	for _, seed := range []string{
		rfc7628Challenge,
		`{"status":401,"scope":["a"],"schemes":null}`,
		"{\"status\":\"\\u0000\\r\\n\",\"scope\":\"\xff\"}",
		`[[[[[[[[]]]]]]]]`, `{`, ``, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, challenge []byte) {
		fields, err := oauthtoken.ParseChallenge(challenge, errMalformed)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error = %v; want the malformed sentinel", err)
			}
			return
		}
		for _, key := range []string{"status", "scope", "schemes", "openid-configuration"} {
			v := fields.Get(key)
			if !utf8.ValidString(v) || len(v) > 256+utf8.UTFMax+len("...") {
				t.Fatalf("Get(%q) = %q", key, v)
			}
			for _, r := range v {
				if !unicode.IsPrint(r) {
					t.Fatalf("Get(%q) holds %U", key, r)
				}
			}
		}
	})
}
