package oktasim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// oktaTime is Okta's timestamp format, milliseconds and Z.
const oktaTime = "2006-01-02T15:04:05.000Z"

type link struct {
	Href string `json:"href"`
}

type groupJSON struct {
	ID                    string          `json:"id"`
	Created               string          `json:"created"`
	LastUpdated           string          `json:"lastUpdated"`
	LastMembershipUpdated string          `json:"lastMembershipUpdated"`
	ObjectClass           []string        `json:"objectClass"`
	Type                  string          `json:"type"`
	Source                *sourceJSON     `json:"source,omitempty"`
	Profile               groupProfile    `json:"profile"`
	Links                 map[string]link `json:"_links"`
}

type sourceJSON struct {
	ID string `json:"id"`
}

type groupProfile struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

type userJSON struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Created         string          `json:"created"`
	Activated       *string         `json:"activated"`
	StatusChanged   string          `json:"statusChanged"`
	LastLogin       *string         `json:"lastLogin"`
	LastUpdated     string          `json:"lastUpdated"`
	PasswordChanged *string         `json:"passwordChanged"`
	Type            sourceJSON      `json:"type"`
	Profile         userProfile     `json:"profile"`
	Credentials     credentialsJSON `json:"credentials"`
	Links           map[string]link `json:"_links"`
}

type userProfile struct {
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Email       string  `json:"email,omitempty"`
	Login       string  `json:"login"`
	MobilePhone *string `json:"mobilePhone"`
}

type credentialsJSON struct {
	Provider struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"provider"`
}

type errorJSON struct {
	ErrorCode    string           `json:"errorCode"`
	ErrorSummary string           `json:"errorSummary"`
	ErrorLink    string           `json:"errorLink"`
	ErrorID      string           `json:"errorId"`
	ErrorCauses  []map[string]any `json:"errorCauses"`
}

func (g *group) json(base string) groupJSON {
	created := g.created.Format(oktaTime)
	out := groupJSON{
		ID:                    g.id,
		Created:               created,
		LastUpdated:           created,
		LastMembershipUpdated: g.membership.UTC().Format(oktaTime),
		ObjectClass:           []string{"okta:user_group"},
		Type:                  g.typ,
		Profile:               groupProfile{Name: g.name},
		Links: map[string]link{
			"logo":  {Href: base + "/assets/img/logos/groups/okta-medium.png"},
			"users": {Href: base + "/api/v1/groups/" + g.id + "/users"},
			"apps":  {Href: base + "/api/v1/groups/" + g.id + "/apps"},
		},
	}
	switch g.typ {
	case TypeAppGroup:
		out.ObjectClass = []string{"okta:windows_security_principal"}
		out.Source = &sourceJSON{ID: makeID("0oa", "app\x00"+g.id)}
	case TypeBuiltIn:
		d := "All users in your organization"
		out.Profile.Description = &d
	}
	return out
}

func (u simUser) json(base string, at time.Time) userJSON {
	ts := at.UTC().Format(oktaTime)
	local := u.Login
	if i := strings.IndexByte(local, '@'); i > 0 {
		local = local[:i]
	}
	out := userJSON{
		ID:            u.id,
		Status:        u.Status,
		Created:       ts,
		StatusChanged: ts,
		LastUpdated:   ts,
		Type:          sourceJSON{ID: "oty1sim0000000000000"},
		Profile: userProfile{
			FirstName: local, LastName: "Sim", Email: u.Email, Login: u.Login,
		},
		Links: map[string]link{"self": {Href: base + "/api/v1/users/" + u.id}},
	}
	if u.Status != "STAGED" && u.Status != "PROVISIONED" {
		out.Activated = &ts
	}
	out.Credentials.Provider.Type = "OKTA"
	out.Credentials.Provider.Name = "OKTA"
	return out
}

// writeJSON sends v with the Content-Type the SDK insists on.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorFor is the Okta error code and summary for a status.
func errorFor(status int) (code, summary string) {
	switch status {
	case http.StatusBadRequest:
		return "E0000001", "Api validation failed"
	case http.StatusUnauthorized:
		return "E0000011", "Invalid token provided"
	case http.StatusForbidden:
		return "E0000006", "You do not have permission to perform the requested action"
	case http.StatusNotFound:
		return "E0000007", "Not found: Resource not found"
	case http.StatusTooManyRequests:
		return "E0000047", "API call exceeded rate limit due to too many requests."
	}
	return "E0000009", "Internal Server Error"
}

// writeError sends Okta's error body for status.
func writeError(w http.ResponseWriter, status int, reqID string) {
	code, summary := errorFor(status)
	writeOktaError(w, status, code, summary, reqID)
}

func writeOktaError(w http.ResponseWriter, status int, code, summary, reqID string) {
	writeJSON(w, status, errorJSON{
		ErrorCode: code, ErrorSummary: summary, ErrorLink: code,
		ErrorID: "oae" + reqID, ErrorCauses: []map[string]any{},
	})
}

// baseURL is the org URL as the client addressed it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
