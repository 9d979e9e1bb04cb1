package reconcile

import (
	"errors"
	"fmt"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

// rejected returns one error naming the credential to fix when a source
// refused teamsync's credentials for any group read, instead of one error
// per group filed as that group's problem: the first such source, in the
// order of refs.
func rejected(m *config.Mapping, refs []keyedRef, reads map[string]plan.GroupRead) error {
	for _, ref := range refs {
		var r providers.Rejected
		if err := reads[ref.key].Err; errors.As(err, &r) && r.Rejection() != "" {
			return fmt.Errorf("%s was rejected (%s)", credentialName(m, ref.ref.Source), r.Rejection())
		}
	}
	return nil
}

// credentialName names the setting or variable that holds source's
// credential in m.
func credentialName(m *config.Mapping, source string) string {
	switch {
	case source == providers.SourceOkta && m.Okta != nil && m.Okta.ClientID != "":
		return "the Okta service app's key (okta.private_key_file " + m.Okta.PrivateKeyFile + ")"
	case source == providers.SourceOkta && m.Okta != nil:
		return m.Okta.Token.Name()
	case source == providers.SourceGoogle && m.Google != nil && m.Google.CredentialsFile != "":
		return "google.credentials_file " + m.Google.CredentialsFile
	case source == providers.SourceGoogle:
		return "Google's Application Default Credentials"
	}
	return "the " + source + " credential"
}
