# Blocks nested deeper than perfplan parses.
a {
  a {
    a {
      a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
        a {
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
}
