// `araldo deadletters list|retry|purge`: dead letters from the command line.
// list and purge read data-dir directly (the relay need not run); retry asks
// the running relay through its admin API, so the delivery goes out from the
// endpoint that owns it.
#pragma once

#include <araldo/plugin.hpp>

namespace araldo::plugins::endpoint_webhook {

araldo::command deadletters_command();

}  // namespace araldo::plugins::endpoint_webhook
