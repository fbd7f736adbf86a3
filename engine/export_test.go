package engine

// Unexported helpers exposed to the black-box tests of package engine_test.
var MicroUSD = microUSD
