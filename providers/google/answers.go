package google

import (
	"fmt"

	admin "google.golang.org/api/admin/directory/v1"
)

// The kind every Directory answer names itself by. An answer without the
// one expected (an empty object from a proxy, another resource) is
// wrongly shaped: read as a group, member list or user it would be an
// empty list, or an active user that nothing vouches for.
const (
	kindGroup   = "admin#directory#group"
	kindMembers = "admin#directory#members"
	kindUser    = "admin#directory#user"
)

// checkAnswer fails a decoded answer that is absent or names another kind
// than want. The SDK decodes `null` to a nil answer without an error; the
// edge refuses such bodies already, and this keeps a nil from ever being
// read whatever reaches the SDK.
func checkAnswer(v any, want string) error {
	var kind string
	isNil := false
	switch v := v.(type) {
	case *admin.Group:
		isNil = v == nil
		if !isNil {
			kind = v.Kind
		}
	case *admin.Members:
		isNil = v == nil
		if !isNil {
			kind = v.Kind
		}
	case *admin.User:
		isNil = v == nil
		if !isNil {
			kind = v.Kind
		}
	}
	switch {
	case isNil:
		return fmt.Errorf("the answer is null, not an %s", want)
	case kind != want:
		return fmt.Errorf("the answer has kind %q, not %s", kind, want)
	}
	return nil
}
