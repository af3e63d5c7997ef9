#pragma once
// Collective algorithms: names, closed-form times, flow decompositions and
// the per-topology choice. One header for the engine to include.

#include "costmodel/collective_algorithm.h"    // IWYU pragma: export
#include "costmodel/collective_choice.h"       // IWYU pragma: export
#include "costmodel/collective_closed_form.h"  // IWYU pragma: export
#include "costmodel/collective_flows.h"        // IWYU pragma: export
