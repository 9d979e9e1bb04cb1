package main

import "testing"

// TestValidateCatchesAWrongUserAttribute: validate --online asks the source about a sample of members and fails
// when it counts none of them, as a wrong okta.user_email makes it.
func TestValidateCatchesAWrongUserAttribute(t *testing.T) {
	_, h := startOffboard(t, `groups:
  - name: Web
    users: [{email: alice@acme.com, login: alice@acme-okta.example}]
users:
  - {email: root@acme.com, login: root@acme-okta.example}
  - {email: dave@acme.com}
`, loginMapping, rootAlice("dave@acme.com"))
	vout, vcode := h.run("validate", "--online")
	verr := h.stderr.String()
	pout, pcode := h.run("plan")
	if vcode == 0 {
		t.Errorf("validate --online passes (exit 0):\n%s%s\nyet plan (exit %d) reads the wrong attribute and removes an active person as not found in okta:\n%s%s", vout, verr, pcode, pout, h.stderr.String())
	}
}
