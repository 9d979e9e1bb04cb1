package config

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// Offboarding is the offboarding section: which identity source decides
// whether a person has left, and which organization members it may judge
// (docs/semantics.md, "Offboarding").
type Offboarding struct {
	// Source is providers.SourceOkta or providers.SourceGoogle.
	Source string
	// Domains are the lower-case email domains the source owns: only
	// members whose email is in one of them are looked up, and one the
	// source does not know at all has left.
	Domains []string
	// RevokeInvitations revokes a departed person's pending invitations.
	RevokeInvitations bool
	// IncludeAdmins lets offboarding remove organization admins too.
	IncludeAdmins bool
	// Every is how often serve judges the organization (every, default
	// DefaultOffboardEvery): each time costs a read of every member and a
	// lookup of everyone judged. plan and apply judge at every run.
	Every time.Duration
	Line  int
}

// DefaultOffboardEvery is how often serve offboards when offboarding.every
// is left out.
const DefaultOffboardEvery = 6 * time.Hour

// MinOffboardEvery is the shortest offboarding.every.
const MinOffboardEvery = time.Minute

// Covers reports whether email (normalised) is in one of the domains.
func (o *Offboarding) Covers(email string) bool {
	if o == nil {
		return false
	}
	at := lastAt(email)
	return at >= 0 && slices.Contains(o.Domains, email[at+1:])
}

func lastAt(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			return i
		}
	}
	return -1
}

// offboarding decodes the optional offboarding section; okta and google
// must be decoded first, since the source must be configured.
func (d *decoder) offboarding(root object, m *Mapping) *Offboarding {
	// `offboarding:` with nothing under it (null, or {}) is a section
	// begun and not finished: read as absent it would leave offboarding
	// silently off, so it is an error.
	if f, ok := root.fields["offboarding"]; ok && (isNull(f.value) || (deref(f.value).Kind == yaml.MappingNode && len(deref(f.value).Content) == 0)) {
		d.add(f.key.Line, "", "offboarding is empty: give source and domains, or remove the section")
		return nil
	}
	o, oAt := d.child(root, "offboarding", knownKeys("offboarding"))
	if oAt.absent() || !oAt.ok {
		return nil
	}
	off := &Offboarding{Line: o.line}
	src, srcAt := d.str(o, "source")
	switch {
	case srcAt.absent() || (srcAt.ok && src == ""):
		d.add(max(srcAt.line, o.line), o.path, "source is required: the identity source that decides who has left (%s)",
			oneOf(providers.SourceOkta, providers.SourceGoogle))
	case !srcAt.ok:
	case src == providers.SourceOkta && m.Okta == nil:
		d.add(srcAt.line, o.path, "source is okta but the file has no okta section")
	case src == providers.SourceGoogle && m.Google == nil:
		d.add(srcAt.line, o.path, "source is google but the file has no google section")
	case src != providers.SourceOkta && src != providers.SourceGoogle:
		d.add(srcAt.line, o.path, "source %q is not one of %s", src, oneOf(providers.SourceOkta, providers.SourceGoogle))
	}
	off.Source = src
	items, itemsAt := d.stringList(o, "domains")
	if itemsAt.absent() || (itemsAt.ok && len(items) == 0) {
		d.add(max(itemsAt.line, o.line), o.path, "domains is required: the email domains %s owns, whose members it may judge", srcName(src))
	}
	seen := map[string]int{}
	for _, it := range items {
		dom := model.NormalizeEmail(it.val)
		switch {
		case !validDomain(dom):
			d.add(it.line, o.path, "domains[%d] %q is not a domain name", it.idx, it.val)
		case seen[dom] != 0:
			d.add(it.line, o.path, "domains lists %q twice (first at line %d)", dom, seen[dom])
		default:
			seen[dom] = it.line
			off.Domains = append(off.Domains, dom)
		}
	}
	off.RevokeInvitations, _ = d.boolean(o, "revoke_invitations")
	off.IncludeAdmins, _ = d.boolean(o, "include_admins")
	off.Every = DefaultOffboardEvery
	if t := d.duration(o, "every", `"6h" or "30m"`, 0, MaxFullReadEvery, "168h (a week)"); t > 0 {
		// Each judging reads every member and looks everyone up: more
		// often than once a minute is a mistake (a unit left out), not a
		// schedule.
		if t < MinOffboardEvery {
			v, vAt := d.str(o, "every")
			d.add(vAt.line, o.path, "every must be at least 1m, got %q", v)
		} else {
			off.Every = t
		}
	}
	return off
}

// srcName names the source in a message, "the source" when it is unset.
func srcName(src string) string {
	if src == "" {
		return "the source"
	}
	return src
}
