package management

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Users exist so that what the seeds' example service does with Logto's
// user routes works (spec §4: create, list, read, update, delete, custom
// data, User roles). They cannot sign in: Gatehouse issues no user tokens,
// so user writes never change a grant and call no OnChange.
//
// Passwords are out of scope. POST /api/users refuses password,
// passwordDigest and passwordAlgorithm with 400 guard.invalid_input rather
// than ignoring them: a caller that sends a password expects it to work
// somewhere, and silently creating a user without one would hide that.

// userIDLength is the length of a user id: Logto's 12 characters over
// [0-9a-z].
const userIDLength = 12

// Logto's formats (@logto/core-kit regex.ts).
var (
	usernamePattern = regexp.MustCompile(`^[A-Z_a-z]\w*$`)
	emailPattern    = regexp.MustCompile(`^\S+@\S+\.\S+$`)
	phonePattern    = regexp.MustCompile(`^\d+$`)
)

// Column limits of the users table.
const (
	userFieldMax  = 128
	userAvatarMax = 2048
)

// UserField is one nullable text field of a user write. Set false leaves
// the stored value alone (on create: null); Value nil stores null.
type UserField struct {
	Set   bool
	Value *string
}

// UserInput is the writable part of a user, for CreateUser and UpdateUser.
// Nil JSON fields are left alone (on create: {}); given ones replace the
// stored object.
type UserInput struct {
	Username, PrimaryEmail, PrimaryPhone, Name, Avatar UserField
	CustomData                                         json.RawMessage
	Profile                                            json.RawMessage
}

// checkUserInput records on g every field of in that breaks Logto's
// formats. On update (create false) an empty username, email or phone is
// accepted: it clears the field.
func checkUserInput(g *Guard, in UserInput, create bool) {
	formats := []struct {
		name string
		f    UserField
		re   *regexp.Regexp
	}{
		{"username", in.Username, usernamePattern},
		{"primaryEmail", in.PrimaryEmail, emailPattern},
		{"primaryPhone", in.PrimaryPhone, phonePattern},
	}
	for _, c := range formats {
		if !c.f.Set || c.f.Value == nil || (!create && *c.f.Value == "") {
			continue
		}
		if !c.re.MatchString(*c.f.Value) {
			g.add(issue{Code: "invalid_string", Path: []any{c.name}, Message: "Invalid"})
		}
	}
	if in.Avatar.Set && in.Avatar.Value != nil && *in.Avatar.Value != "" && !isAvatarURL(*in.Avatar.Value) {
		g.add(issue{Code: "invalid_string", Path: []any{"avatar"}, Message: "Invalid url"})
	}
}

// isAvatarURL is the test of zod's url(): the WHATWG parser accepts it,
// which needs a scheme.
func isAvatarURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}

// validUserInput returns 400 guard.invalid_input if in breaks a format
// (the HTTP layer has usually reported it already, with the type errors).
func validUserInput(in UserInput, create bool) error {
	g := &Guard{where: "body", fields: map[string]json.RawMessage{}}
	checkUserInput(g, in, create)
	return g.Err()
}

// applyUserInput writes the fields in sets onto u. An empty username,
// email or phone is stored as null: it cannot identify anyone, and the
// unique indexes would let only one user have it.
func applyUserInput(u *store.User, in UserInput) {
	ident := func(dst **string, f UserField) {
		if !f.Set {
			return
		}
		if f.Value != nil && *f.Value == "" {
			*dst = nil
			return
		}
		*dst = f.Value
	}
	ident(&u.Username, in.Username)
	ident(&u.PrimaryEmail, in.PrimaryEmail)
	ident(&u.PrimaryPhone, in.PrimaryPhone)
	if in.Name.Set {
		u.Name = in.Name.Value
	}
	if in.Avatar.Set {
		u.Avatar = in.Avatar.Value
	}
	if in.CustomData != nil {
		u.CustomData = in.CustomData
	}
	if in.Profile != nil {
		u.Profile = in.Profile
	}
}

// userCollision is the order and the errors of Logto's identifier checks.
type userCollision struct {
	which store.UserIdentifier
	value func(u *store.User) *string
	err   func() *Error
}

var (
	usernameCollision = userCollision{store.UserUsername, func(u *store.User) *string { return u.Username }, func() *Error {
		return errorf(http.StatusUnprocessableEntity, "user.username_already_in_use", "This username is already in use.")
	}}
	emailCollision = userCollision{store.UserEmail, func(u *store.User) *string { return u.PrimaryEmail }, func() *Error {
		return errorf(http.StatusUnprocessableEntity, "user.email_already_in_use", "This email is associated with an existing account.")
	}}
	phoneCollision = userCollision{store.UserPhone, func(u *store.User) *string { return u.PrimaryPhone }, func() *Error {
		return errorf(http.StatusUnprocessableEntity, "user.phone_already_in_use", "This phone number is associated with an existing account.")
	}}
	// POST /users checks the username first; PATCH (checkIdentifierCollision)
	// checks the email first.
	createCollisions = []userCollision{usernameCollision, emailCollision, phoneCollision}
	updateCollisions = []userCollision{emailCollision, phoneCollision, usernameCollision}
)

// checkUserCollisions returns the 422 of the first identifier of u that
// another user has.
func (s *Service) checkUserCollisions(ctx context.Context, q *store.Queries, u *store.User, order []userCollision) error {
	for _, c := range order {
		v := c.value(u)
		if v == nil {
			continue
		}
		taken, err := q.UserIdentifierTaken(ctx, s.cfg.Tenant, c.which, *v, u.ID)
		if err != nil {
			return err
		}
		if taken {
			return c.err()
		}
	}
	return nil
}

// userRetryConflict runs write again when it fails with store.ErrConflict: a
// concurrent write took an identifier after the checks (the next run's
// checks then name it) or a random id was taken. The third conflict is
// returned as it is.
func userRetryConflict(write func() error) error {
	var err error
	for range 3 {
		if err = write(); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

// newUserID returns a 12-character id over [0-9a-z]: the prefix of a
// standard id, whose characters are independent and uniform.
func (s *Service) newUserID() (string, error) {
	id, err := s.newID()
	if err != nil {
		return "", err
	}
	return id[:userIDLength], nil
}

// userNotFound maps store.ErrNotFound to Logto's 404 for the user id.
func userNotFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notExistsWithID("users", id)
	}
	return err
}

// CreateUser creates a user from in, giving it the tenant's default User
// roles in the same transaction, as Logto's insertUser does. 400 for a bad
// format, 422 user.*_already_in_use for a taken identifier.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*store.User, error) {
	if err := validUserInput(in, true); err != nil {
		return nil, err
	}
	now := s.nowMs()
	u := &store.User{TenantID: s.cfg.Tenant, CustomData: json.RawMessage(`{}`), Profile: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}
	applyUserInput(u, in)
	err := userRetryConflict(func() error {
		id, err := s.newUserID()
		if err != nil {
			return err
		}
		u.ID = id
		return s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
			if err := s.checkUserCollisions(ctx, q, u, createCollisions); err != nil {
				return err
			}
			if err := q.InsertUser(ctx, u); err != nil {
				return err
			}
			defaults, err := q.DefaultUserRoleIDs(ctx, s.cfg.Tenant)
			if err != nil {
				return err
			}
			for _, roleID := range defaults {
				if err := s.linkUserRole(ctx, q, u.ID, roleID); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, storeError(err)
	}
	return s.GetUser(ctx, u.ID)
}

// GetUser returns the user id; 404 entity.not_exists_with_id if none.
func (s *Service) GetUser(ctx context.Context, id string) (*store.User, error) {
	u, err := s.cfg.Store.GetUser(ctx, s.cfg.Tenant, id)
	if err != nil {
		return nil, userNotFound(id, err)
	}
	return u, nil
}

// ListUsers returns the users f selects (newest first) and their number.
func (s *Service) ListUsers(ctx context.Context, f store.UserFilter) ([]store.User, int64, error) {
	us, total, err := s.cfg.Store.ListUsers(ctx, s.cfg.Tenant, f)
	if err != nil {
		return nil, 0, searchError(err)
	}
	return us, total, nil
}

// UpdateUser applies in to the user id: JSON fields replace the stored
// ones. 404 if there is no such user, 422 for a taken identifier.
func (s *Service) UpdateUser(ctx context.Context, id string, in UserInput) (*store.User, error) {
	if err := validUserInput(in, false); err != nil {
		return nil, err
	}
	var out *store.User
	err := userRetryConflict(func() error {
		return s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
			u, err := q.GetUser(ctx, s.cfg.Tenant, id)
			if err != nil {
				return userNotFound(id, err)
			}
			applyUserInput(u, in)
			if err := s.checkUserCollisions(ctx, q, u, updateCollisions); err != nil {
				return err
			}
			u.UpdatedAt = max(s.nowMs(), u.UpdatedAt)
			out = u
			return q.UpdateUser(ctx, u)
		})
	})
	if err != nil {
		return nil, storeError(userNotFound(id, err))
	}
	return s.GetUser(ctx, out.ID)
}

// MergeUserCustomData shallow-merges patch (a JSON object) into the
// custom data of the user id (top-level keys overwrite) and returns the
// result. 404 if there is no such user.
func (s *Service) MergeUserCustomData(ctx context.Context, id string, patch json.RawMessage) (json.RawMessage, error) {
	var add map[string]json.RawMessage
	if err := json.Unmarshal(patch, &add); err != nil || add == nil {
		return nil, invalidInput("customData must be a JSON object.")
	}
	err := s.cfg.Store.Tx(ctx, func(q *store.Queries) error {
		u, err := q.GetUser(ctx, s.cfg.Tenant, id)
		if err != nil {
			return userNotFound(id, err)
		}
		merged := map[string]json.RawMessage{}
		if err := json.Unmarshal(u.CustomData, &merged); err != nil || merged == nil {
			merged = map[string]json.RawMessage{}
		}
		for k, v := range add {
			merged[k] = v
		}
		b, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		u.CustomData = b
		u.UpdatedAt = max(s.nowMs(), u.UpdatedAt)
		return q.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, storeError(err)
	}
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	return u.CustomData, nil
}

// DeleteUser deletes the user id and its role links; 404 if none.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return userNotFound(id, s.cfg.Store.DeleteUser(ctx, s.cfg.Tenant, id))
}
