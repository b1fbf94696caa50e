package management

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Error is a Management API error: an HTTP status and Logto's error body
// {code, message, data?, details?} (spec §4.0). The service returns it for
// every rule a request breaks; anything else is an unexpected failure.
type Error struct {
	Status  int
	Code    string
	Message string
	Details string // guard failures: the issues, one per line
	Data    any    // optional structured detail
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf builds an Error with a formatted message.
func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The generic errors of spec §4.0. name is the table name, as Logto says it.
func notExistsWithID(name, id string) *Error {
	return errorf(http.StatusNotFound, "entity.not_exists_with_id", "The %s with ID `%s` does not exist.", name, id)
}

func notExists(name string) *Error {
	return errorf(http.StatusNotFound, "entity.not_exists", "The %s does not exist.", name)
}

func notFound() *Error {
	return errorf(http.StatusNotFound, "entity.not_found", "The resource does not exist.")
}

func constraintViolated() *Error {
	return errorf(http.StatusUnprocessableEntity, "entity.db_constraint_violated", "Database constraint violated.")
}

func valueTooLong() *Error {
	return errorf(http.StatusUnprocessableEntity, "entity.value_too_long", "The length of value is too long and exceeds the limit.")
}

func foreignKeyNotFound(status int) *Error {
	return errorf(status, "entity.relation_foreign_key_not_found",
		"Cannot find one or more foreign keys. Please check the input and ensure that all referenced entities exist.")
}

// unavailable is 503 entity.database_unavailable: the database cannot be
// reached (store.ErrUnavailable). Logto has no such answer (it gives 500);
// the code sits beside its other database errors (docs/compatibility.md).
func unavailable() *Error {
	return errorf(http.StatusServiceUnavailable, "entity.database_unavailable",
		"The database cannot be reached. Try again in a few seconds.")
}

// invalidInput is 400 request.invalid_input: input that passed the guard
// but breaks a rule (spec §4.0, search; §4.3, expiresAt).
func invalidInput(details string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "request.invalid_input", Message: "Input is invalid. " + details, Details: details}
}

// storeError maps an unexpected store error of an insert or update to the
// generic answer Logto gives for it, or returns err unchanged.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrTooLong):
		return valueTooLong()
	case errors.Is(err, store.ErrCheck):
		return constraintViolated()
	case errors.Is(err, store.ErrForeignKey):
		return foreignKeyNotFound(http.StatusNotFound)
	}
	return err
}
