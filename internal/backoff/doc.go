// Package backoff holds the small waiting helpers teamsync's API clients
// share: a sleep that ends with its context and exponential backoff with a
// pluggable jitter. Each client keeps its own numbers (base, cap, jitter) because
// its tests and its API's advice pin them; only the arithmetic lives here.
package backoff
