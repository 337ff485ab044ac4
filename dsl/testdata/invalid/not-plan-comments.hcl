# Only comments.
// Nothing else.
/* Not even a block. */
