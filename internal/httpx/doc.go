// Package httpx is teamsync's one edge to the network. Every request to
// Buildkite, Okta or Google goes through its Transport, which owns the rules
// that must not differ between the three APIs:
//
//   - which URLs a credential may travel to (CheckURL: https, or http to a
//     loopback host);
//   - redirects (never followed: an API that redirects is an error);
//   - timeouts (one per attempt and one for the whole request) and a breaker
//     that fails later requests of a run at once once an API has stopped
//     answering;
//   - retries (reads always; writes only when the API provably did not run
//     them) and how they are logged;
//   - what counts as a malformed answer (an empty or `null` 2xx body);
//   - redaction of every credential the run holds (Secrets), applied before
//     any truncation.
//
// Each API client keeps only what is its own: how its errors read (Policy's
// Classify) and which of its requests are safe to send twice.
package httpx
