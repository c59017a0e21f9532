package rulefile

// keyOrder is the canonical order of a rule file's top-level keys: the
// order docs/rules.md documents, `detc fmt` writes and the importer emits.
var keyOrder = []string{
	"id", "name", "description", "type", "index", "language", "query",
	"severity", "risk_score", "interval", "from", "max_signals", "version",
	"author", "license", "tags", "references", "false_positives",
	"timestamp_override", "new_terms", "threshold", "threat", "setup", "note",
}

// KeyOrder returns the canonical order of top-level rule-file keys.
func KeyOrder() []string { return append([]string(nil), keyOrder...) }

var knownKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range keyOrder {
		m[k] = true
	}
	return m
}()

var requiredKeys = []string{"id", "name", "description", "type", "query", "severity", "risk_score"}

var severities = []string{"low", "medium", "high", "critical"}

var ruleTypes = []string{"query", "new_terms", "threshold"}

// Defaults Kibana applies when a key is absent; the loader fills them in so
// every backend sees the same values.
const (
	DefaultInterval   = "5m"
	DefaultFrom       = "now-6m"
	DefaultTo         = "now"
	DefaultMaxSignals = 100
	DefaultVersion    = 1
	DefaultLanguage   = "kuery"
)

var newTermsKeys = []string{"fields", "history_window_start"}
var thresholdKeys = []string{"field", "value", "cardinality"}
var cardinalityKeys = []string{"field", "value"}
var threatKeys = []string{"framework", "tactic", "technique"}
var refKeys = []string{"id", "name", "reference"}
var techniqueKeys = []string{"id", "name", "reference", "subtechnique"}
