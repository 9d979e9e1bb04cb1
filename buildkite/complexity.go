package buildkite

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Buildkite rejects a query whose requested complexity exceeds 50,000
// before running it. Queries are sized to stay under complexityBudget,
// which leaves a 20% margin because Buildkite may cost some fields more
// than its documented model.
const (
	maxComplexity    = 50_000
	complexityBudget = 40_000
)

// maxTeamsPerOrg is Buildkite's cap on teams in one organization; it sizes
// the invitation teams list, which has no cursor.
const maxTeamsPerOrg = 250

// maxPendingInvitations is Buildkite's cap on pending invitations, and
// expectedInvitationTeams how many teams pacing expects each to carry.
const (
	maxPendingInvitations   = 20
	expectedInvitationTeams = 10
)

// estimateComplexity computes the requested complexity of a query by
// Buildkite's documented model: scalars and enums cost nothing, every
// object field costs 1, and below a connection with `first: N` the nodes
// (under `edges`, or `nodes`) count N times. vars supplies variables used
// as `first`. It needs no schema: a field with a selection set is an
// object.
func estimateComplexity(doc string, vars map[string]any) (int, error) {
	q, err := parser.ParseQuery(&ast.Source{Input: doc})
	if err != nil {
		return 0, fmt.Errorf("parse query: %w", err)
	}
	e := estimator{doc: q, vars: vars}
	total := 0
	for _, op := range q.Operations {
		n, err := e.selections(op.SelectionSet, 1, 0)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

type estimator struct {
	doc  *ast.QueryDocument
	vars map[string]any
}

// selections costs a selection set reached mult times, whose parent field
// is a connection of page size first (0 if it is not a connection).
func (e estimator) selections(set ast.SelectionSet, mult, first int) (int, error) {
	total := 0
	for _, sel := range set {
		var n int
		var err error
		switch s := sel.(type) {
		case *ast.Field:
			n, err = e.field(s, mult, first)
		case *ast.InlineFragment:
			n, err = e.selections(s.SelectionSet, mult, first)
		case *ast.FragmentSpread:
			f := e.doc.Fragments.ForName(s.Name)
			if f == nil {
				return 0, fmt.Errorf("unknown fragment %q", s.Name)
			}
			n, err = e.selections(f.SelectionSet, mult, first)
		}
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (e estimator) field(f *ast.Field, mult, parentFirst int) (int, error) {
	if len(f.SelectionSet) == 0 {
		return 0, nil
	}
	own, below := mult, mult
	if parentFirst > 0 {
		switch f.Name {
		case "edges":
			below = mult * parentFirst
		case "nodes":
			own, below = mult*parentFirst, mult*parentFirst
		}
	}
	first, err := e.pageSize(f)
	if err != nil {
		return 0, err
	}
	n, err := e.selections(f.SelectionSet, below, first)
	return own + n, err
}

// pageSize is the field's `first` (or `last`) argument, 0 if it has none.
func (e estimator) pageSize(f *ast.Field) (int, error) {
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil {
			continue
		}
		v := arg.Value
		if v.Kind == ast.Variable {
			switch n := e.vars[v.Raw].(type) {
			case int:
				return n, nil
			case nil:
				return 0, fmt.Errorf("variable $%s of %s.%s is not set", v.Raw, f.Alias, name)
			default:
				return 0, fmt.Errorf("variable $%s of %s.%s is %T, not int", v.Raw, f.Alias, name, n)
			}
		}
		n, err := strconv.Atoi(v.Raw)
		if err != nil {
			return 0, fmt.Errorf("%s.%s is %q, not an integer", f.Alias, name, v.Raw)
		}
		return n, nil
	}
	return 0, nil
}

// linearCost returns a and c such that the query costs a + c·x when
// variable name is x (every page size in our queries is linear in it).
func linearCost(op operation, vars map[string]any, name string) (a, c int, err error) {
	at := func(x int) (int, error) {
		v := make(map[string]any, len(vars)+1)
		for k, val := range vars {
			v[k] = val
		}
		v[name] = x
		return estimateComplexity(op.doc, v)
	}
	// Measured at 1 and 2: a page size of 0 would read as "not a
	// connection".
	one, err := at(1)
	if err != nil {
		return 0, 0, err
	}
	two, err := at(2)
	return 2*one - two, two - one, err
}

// largestFirst is the largest value of variable name, at most limit, that
// keeps op within complexityBudget.
func largestFirst(op operation, vars map[string]any, name string, limit int) (int, error) {
	a, c, err := linearCost(op, vars, name)
	if err != nil {
		return 0, err
	}
	if c <= 0 {
		return limit, nil
	}
	n := min(limit, (complexityBudget-a)/c)
	if n < 1 {
		return 0, fmt.Errorf("%s costs %d before paging, over the budget of %d", op.name, a, complexityBudget)
	}
	return n, nil
}

// teamCostLine is the requested complexity of one team of a TeamsBatch
// query as a + c·first, first being how many of its members it reads
// (4 + 2·first by the documented model).
var teamCostLine = sync.OnceValues(func() ([2]int, error) {
	a, c, err := linearCost(teamsBatchQuery(1), nil, firstVar(0))
	return [2]int{a, c}, err
})

// batchCost is the requested complexity of one TeamsBatch query for slugs,
// each reading firsts[slug] members.
func batchCost(slugs []string, firsts map[string]int) (int, error) {
	line, err := teamCostLine()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, s := range slugs {
		total += line[0] + line[1]*firsts[s]
	}
	return total, nil
}

// teamBatches cuts slugs, in order, into TeamsBatch queries of at most
// limit requested complexity each (and never more than complexityBudget),
// a team at least. Requested complexity costs nothing once a query is
// accepted (the windows are charged what it returns), but pacing waits
// for a query's request to fit the windows, so a query is cut to what
// the windows can take in a few steps (pacer.target); with the full page
// of 500 that is 39 teams per query within the budget alone, so an
// organization's 250 teams take at most 7.
func teamBatches(slugs []string, firsts map[string]int, limit int) ([][]string, error) {
	line, err := teamCostLine()
	if err != nil {
		return nil, err
	}
	limit = min(limit, complexityBudget)
	var out [][]string
	var cur []string
	sum := 0
	for _, s := range slugs {
		cost := line[0] + line[1]*firsts[s]
		if cost > complexityBudget {
			return nil, fmt.Errorf("one team of %d members costs %d, over the budget of %d", firsts[s], cost, complexityBudget)
		}
		if len(cur) > 0 && sum+cost > limit {
			out = append(out, cur)
			cur, sum = nil, 0
		}
		cur = append(cur, s)
		sum += cost
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// fingerprintBatchSize is how many teams go in one TeamFingerprints query
// of at most limit requested complexity (and never more than
// complexityBudget).
func fingerprintBatchSize(limit int) (int, error) {
	one, err := estimateComplexity(teamFingerprintsQuery(1).doc, nil)
	if err != nil {
		return 0, err
	}
	return max(1, min(limit, complexityBudget)/one), nil
}

// maxLookupAliases caps the emails of one MembersByEmail query. The
// complexity budget alone would allow thousands; a smaller query keeps a
// failure's blast radius and the server's work per request modest.
const maxLookupAliases = 100

// lookupBatchSize is how many emails go in one MembersByEmail query: as
// many as keep it within complexityBudget, at most maxLookupAliases.
func lookupBatchSize() (int, error) {
	cost := func(n int) (int, error) { return estimateComplexity(membersByEmailQuery(n).doc, nil) }
	one, err := cost(1)
	if err != nil {
		return 0, err
	}
	two, err := cost(2)
	if err != nil {
		return 0, err
	}
	a, c := 2*one-two, two-one
	n := min(maxLookupAliases, (complexityBudget-a)/c)
	if n < 1 {
		return 0, fmt.Errorf("one email costs %d, over the budget of %d", one, complexityBudget)
	}
	return n, nil
}

// writeCost is the most one write costs by the documented model: what a
// write waits to fit in the windows before it is sent.
var writeCost = sync.OnceValue(func() int {
	most := 1
	for _, op := range []operation{opTeamCreate, opTeamMemberCreate, opTeamMemberUpdate, opTeamMemberDelete, opInvitationCreate,
		opOrgMemberDelete, opInvitationRevoke} {
		if n, err := estimateComplexity(op.doc, nil); err == nil {
			most = max(most, n)
		}
	}
	return most
})
