package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/perfplan/perfplan/report"
)

// Document returns the run document recorded with id (Point.DocumentID),
// as it was recorded, profiles included (perfplan run --profile); nil when
// there is none.
func (s *Store) Document(ctx context.Context, id int64) (*report.Document, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, `SELECT document FROM documents WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: document %d: %w", id, err)
	}
	d, err := report.ReadDocument(strings.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("history: document %d: %w", id, err)
	}
	return d, nil
}
