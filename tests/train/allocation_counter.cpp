// The counting global operator new of the compose tests
// (compose/allocation_counter.hpp), in this executable too: optimizers.cpp
// checks that a warm training step (clip, optimizer, scheduler) allocates
// nothing. Counting is off unless a test turns it on.
#include "compose/allocation_counter.cpp"  // NOLINT(bugprone-suspicious-include)
