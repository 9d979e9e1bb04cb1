package buildkite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

// Fingerprints reads the fingerprint of each named team (slugs without the
// organization): its ID, its members' and maintainers' counts and its
// newest membership's createdAt (see model.Fingerprint), in aliased
// TeamFingerprints queries of five points a team. A team that does not
// exist has a fingerprint with no TeamID. A team whose fingerprint cannot
// be read is in errs instead; any other failure fails the whole read.
func (c *Client) Fingerprints(ctx context.Context, slugs []string) (fps map[string]model.Fingerprint, errs map[string]error, err error) {
	fps, errs, err = c.fingerprints(ctx, uniqueSorted(slugs))
	if err != nil {
		return nil, nil, c.secrets.Error(err)
	}
	for slug, err := range errs {
		errs[slug] = c.secrets.Error(err)
	}
	return fps, errs, nil
}

// fingerprintNode is one team of a TeamFingerprints answer.
type fingerprintNode struct {
	ID     string `json:"id"`
	Newest *struct {
		Count *int `json:"count"`
		Edges []struct {
			Node *struct {
				CreatedAt string `json:"createdAt"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"newest"`
	Maintainers *struct {
		Count *int `json:"count"`
	} `json:"maintainers"`
}

// fingerprint checks n and turns it into a model.Fingerprint. A count
// that is missing, or a team with members whose newest one cannot be
// read, is malformed: taken for zero, it would hide a change.
func (n *fingerprintNode) fingerprint() (model.Fingerprint, error) {
	switch {
	case n.ID == "":
		return model.Fingerprint{}, malformed("the team has no ID")
	case n.Newest == nil || n.Newest.Count == nil || n.Newest.Edges == nil || n.Maintainers == nil || n.Maintainers.Count == nil:
		return model.Fingerprint{}, malformed("the team's member counts are missing")
	}
	fp := model.Fingerprint{TeamID: n.ID, Members: *n.Newest.Count, Maintainers: *n.Maintainers.Count}
	if fp.Members == 0 {
		return fp, nil
	}
	if len(n.Newest.Edges) != 1 || n.Newest.Edges[0].Node == nil {
		return model.Fingerprint{}, malformed("a team with members but no newest membership")
	}
	t, err := time.Parse(time.RFC3339Nano, n.Newest.Edges[0].Node.CreatedAt)
	if err != nil {
		return model.Fingerprint{}, malformed("the newest membership's createdAt is not a date and time")
	}
	fp.Newest = t
	return fp, nil
}

func (c *Client) fingerprints(ctx context.Context, slugs []string) (map[string]model.Fingerprint, map[string]error, error) {
	fps := make(map[string]model.Fingerprint, len(slugs))
	errs := make(map[string]error)
	batch, err := fingerprintBatchSize(c.pacer.target(complexityBudget))
	if err != nil {
		return nil, nil, fmt.Errorf("buildkite: size fingerprints query: %w", err)
	}
	for start := 0; start < len(slugs); start += batch {
		part := slugs[start:min(start+batch, len(slugs))]
		if err := c.fingerprintBatch(ctx, part, fps, errs); err != nil {
			return nil, nil, err
		}
	}
	return fps, errs, nil
}

func (c *Client) fingerprintBatch(ctx context.Context, slugs []string, fps map[string]model.Fingerprint, errs map[string]error) error {
	vars := make(map[string]any, len(slugs))
	for i, s := range slugs {
		vars[teamAlias(i)] = c.org + "/" + s
	}
	out := make(map[string]*fingerprintNode, len(slugs))
	gerrs, err := c.run(ctx, teamFingerprintsQuery(len(slugs)), vars, &out)
	if err != nil && len(gerrs) == 0 {
		return fmt.Errorf("buildkite: read team fingerprints: %w", err)
	}
	// A GraphQL error under one alias fails that team only.
	byAlias, ok := errorsByAlias(gerrs, len(slugs))
	if !ok {
		return fmt.Errorf("buildkite: read team fingerprints: %w", err)
	}
	for i, slug := range slugs {
		alias := teamAlias(i)
		node, answered := out[alias]
		e, failed := byAlias[alias]
		switch {
		case failed && node == nil && errors.Is(classify(e.Message), model.ErrNotFound):
			fps[slug] = model.Fingerprint{}
		case failed:
			errs[slug] = fmt.Errorf("buildkite: read fingerprint of team %q: %w", slug, &GraphQLError{Message: e.Message, Path: e.Path})
		case !answered:
			errs[slug] = fmt.Errorf("buildkite: read fingerprint of team %q: %w", slug, malformed("no %s in the answer", alias))
		case node == nil:
			fps[slug] = model.Fingerprint{} // the team does not exist
		default:
			fp, err := node.fingerprint()
			if err != nil {
				errs[slug] = fmt.Errorf("buildkite: read fingerprint of team %q: %w", slug, err)
				continue
			}
			fps[slug] = fp
		}
	}
	return nil
}
