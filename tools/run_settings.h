#pragma once
// The settings `spsim run` takes, bound to a StudyConfig (tools/settings.h);
// shared by the command and the config-file fuzzer.

#include "tools/settings.h"
#include "tools/study.h"

namespace spsim::cli {

// Binds the settings that lower a study — model, workload, cluster, strategy
// and its options — to `config` (what `spsim run` and `spsim replay` share).
void bind_study_settings(Settings& settings, StudyConfig& config);

// Binds every setting of `spsim run` to `config`; --memory-limit (GB) to
// `memory_limit_gb`, which the caller copies into config.memory_limit_bytes.
void bind_run_settings(Settings& settings, StudyConfig& config, double& memory_limit_gb);

// The study a config document describes (a Timeline file's "study", keys as
// in a --config file), with the same validation; `where` names it in errors.
StudyConfig study_config_from_json(const std::string& text, const std::string& where);

}  // namespace spsim::cli
