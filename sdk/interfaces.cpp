// Out-of-line virtual destructors: they anchor each interface's vtable and
// type_info in libaraldo-core, so dynamic_cast and exceptions work across plugins.
#include <araldo/context.hpp>
#include <araldo/endpoint.hpp>
#include <araldo/marshaller.hpp>
#include <araldo/metrics.hpp>

namespace araldo {

marshaller::~marshaller() = default;
endpoint::~endpoint() = default;
endpoint_context::~endpoint_context() = default;
metrics_registry::~metrics_registry() = default;

}  // namespace araldo
