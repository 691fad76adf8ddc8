#include "raw_marshaller.hpp"

namespace araldo::plugins::marshal_raw {

unmarshal_result raw_marshaller::unmarshal(std::string_view, bool, araldo::attributes&) const {
    // Raw bytes carry no structure to validate or lift attributes from.
    return unmarshal_result::success();
}

encoded raw_marshaller::marshal(const message_ptr& msg) const {
    // Whatever came in, from whichever marshaller, goes out as it is: the
    // payload is always the bytes as received.
    return pass_through(msg);
}

option_table raw_options() { return {}; }

std::unique_ptr<araldo::marshaller> make_raw_marshaller(const araldo::options&) {
    return std::make_unique<raw_marshaller>();
}

}  // namespace araldo::plugins::marshal_raw
