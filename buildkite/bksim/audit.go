package bksim

import (
	"fmt"
	"math"
	"time"
)

// The audit log. Every change to teams, memberships, organization members
// and invitations is written to it, whoever made it: the API's mutations
// under the token's user, ByHand edits under the person named, and the
// organization changes of AddMember, RemoveMember and SetInvitationState.
// An event's subject node is looked up when it is read, so it is null once
// the subject is gone (a deleted membership, a member who left), as it is
// in Buildkite.

// Audit event and subject types, as Buildkite's enums spell them.
const (
	SubjectTeam                   = "TEAM"
	SubjectTeamMember             = "TEAM_MEMBER"
	SubjectOrganizationMember     = "ORGANIZATION_MEMBER"
	SubjectOrganizationInvitation = "ORGANIZATION_INVITATION"

	EventTeamCreated        = "TEAM_CREATED"
	EventTeamUpdated        = "TEAM_UPDATED"
	EventTeamMemberCreated  = "TEAM_MEMBER_CREATED"
	EventTeamMemberUpdated  = "TEAM_MEMBER_UPDATED"
	EventTeamMemberDeleted  = "TEAM_MEMBER_DELETED"
	EventMemberCreated      = "ORGANIZATION_MEMBER_CREATED"
	EventMemberDeleted      = "ORGANIZATION_MEMBER_DELETED"
	EventInvitationCreated  = "ORGANIZATION_INVITATION_CREATED"
	EventInvitationAccepted = "ORGANIZATION_INVITATION_ACCEPTED"
	EventInvitationRevoked  = "ORGANIZATION_INVITATION_REVOKED"
)

// AuditLogRefused is the error Organization.auditEvents answers with
// Options.NoAuditLog. Buildkite's own wording is not documented; clients
// must not depend on it.
const AuditLogRefused = "Audit events are not available to this organization or API access token"

// dateTimeFormat is how DateTime values are written: UTC, milliseconds.
const dateTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// auditRec is one audit event. The subject is kept by its ID, type, UUID
// and name, which outlive it; its node is looked up at read time.
type auditRec struct {
	uuid        string
	seq         int
	typ         string
	at          time.Time
	actor       *userRec // nil: Buildkite itself (SSO provisioning, expiry)
	subjectType string
	subjectID   string
	subjectUUID string
	subjectName string
}

// auditActor and auditSubject are an event's actor and subject objects.
type (
	auditActor   struct{ user *userRec }
	auditSubject struct{ ev *auditRec }
)

func (*auditRec) typeName() string     { return "AuditEvent" }
func (*auditActor) typeName() string   { return "AuditActor" }
func (*auditSubject) typeName() string { return "AuditSubject" }

// AuditEvent is one entry of the simulated audit log, as tests see it.
type AuditEvent struct {
	Type        string
	OccurredAt  time.Time
	Actor       string // the actor's email, "" for Buildkite itself
	SubjectType string
	Subject     string // "team-slug/email" for a membership, else the subject's name
}

// AuditEvents returns the audit log, oldest first.
func (s *Server) AuditEvents() []AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AuditEvent, 0, len(s.st.events))
	for _, e := range s.st.events {
		a := AuditEvent{Type: e.typ, OccurredAt: e.at, SubjectType: e.subjectType, Subject: e.subjectName}
		if e.actor != nil {
			a.Actor = e.actor.email
		}
		out = append(out, a)
	}
	return out
}

// audit writes one event about subject, made by actor (nil: Buildkite),
// and returns when it happened.
func (s *store) audit(typ string, actor *userRec, subject object) time.Time {
	ev := &auditRec{uuid: s.newUUID(), typ: typ, at: s.stamp(), actor: actor, subjectID: idOf(subject)}
	ev.seq = s.seq
	switch o := subject.(type) {
	case *teamRec:
		ev.subjectType, ev.subjectUUID, ev.subjectName = SubjectTeam, o.uuid, o.slug
	case *teamMemberRec:
		ev.subjectType, ev.subjectUUID, ev.subjectName = SubjectTeamMember, o.uuid, o.team.slug+"/"+o.member.user.email
	case *memberRec:
		ev.subjectType, ev.subjectUUID, ev.subjectName = SubjectOrganizationMember, o.uuid, o.user.email
	case *inviteRec:
		ev.subjectType, ev.subjectUUID, ev.subjectName = SubjectOrganizationInvitation, o.uuid, o.email
	}
	s.events = append(s.events, ev)
	s.index(ev)
	return ev.at
}

// tokenUser is the user the API token belongs to: the viewer.
func (s *store) tokenUser() *userRec {
	var pick *memberRec
	for _, m := range s.members {
		if m.role == RoleAdmin {
			pick = m
			break
		}
	}
	if pick == nil && len(s.members) > 0 {
		pick = s.members[0]
	}
	if pick == nil {
		return nil
	}
	return pick.user
}

// orgAuditEvents answers Organization.auditEvents, newest first, filtered
// by occurredAtFrom/To (inclusive), subjectType and type.
func (ex *execution) orgAuditEvents(args map[string]any) (any, error) {
	if ex.s.noAuditLog {
		return nil, fmt.Errorf("%s", AuditLogRefused)
	}
	from, err := dateTimeArg(args, "occurredAtFrom")
	if err != nil {
		return nil, err
	}
	to, err := dateTimeArg(args, "occurredAtTo")
	if err != nil {
		return nil, err
	}
	subjects := upperSet(stringList(args["subjectType"]))
	types := upperSet(stringList(args["type"]))
	var items []pageItem
	for _, e := range ex.st.events {
		switch {
		case !from.IsZero() && e.at.Before(from),
			!to.IsZero() && e.at.After(to),
			subjects != nil && !subjects[e.subjectType],
			types != nil && !types[e.typ]:
			continue
		}
		items = append(items, pageItem{key: fmt.Sprintf("%010d", math.MaxInt32-e.seq), node: e})
	}
	return ex.paginate("Organization.auditEvents", "OrganizationAuditEventConnection", items, args)
}

// dateTimeArg reads an ISO-8601 DateTime argument; zero when absent.
func dateTimeArg(args map[string]any, name string) (time.Time, error) {
	v, ok := args[name]
	if !ok {
		return time.Time{}, nil
	}
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("Argument '%s' has an invalid value (%v). Expected an ISO 8601 date and time.", name, v)
	}
	return t, nil
}

func (ex *execution) auditEventField(e *auditRec, field string) (any, error) {
	switch field {
	case "id":
		return idOf(e), nil
	case "uuid":
		return e.uuid, nil
	case "type":
		return e.typ, nil
	case "occurredAt":
		return formatDateTime(e.at), nil
	case "actor":
		if e.actor == nil {
			return nil, nil
		}
		return &auditActor{user: e.actor}, nil
	case "subject":
		return &auditSubject{ev: e}, nil
	}
	return nil, errNotImplemented("AuditEvent", field)
}

func (ex *execution) auditActorField(a *auditActor, field string) (any, error) {
	switch field {
	case "id":
		return idOf(a.user), nil
	case "uuid":
		return a.user.uuid, nil
	case "name":
		return displayName(a.user), nil
	case "type":
		return "USER", nil
	case "node":
		if o := ex.st.nodes[idOf(a.user)]; o != nil {
			return o, nil
		}
		return nil, nil
	}
	return nil, errNotImplemented("AuditActor", field)
}

func (ex *execution) auditSubjectField(sub *auditSubject, field string) (any, error) {
	e := sub.ev
	switch field {
	case "id":
		return e.subjectID, nil
	case "uuid":
		return e.subjectUUID, nil
	case "name":
		return e.subjectName, nil
	case "type":
		return e.subjectType, nil
	case "node":
		if o := ex.st.nodes[e.subjectID]; o != nil {
			return o, nil
		}
		return nil, nil
	}
	return nil, errNotImplemented("AuditSubject", field)
}

// formatDateTime writes a DateTime as Buildkite does: UTC, milliseconds.
func formatDateTime(t time.Time) string { return t.Format(dateTimeFormat) }
