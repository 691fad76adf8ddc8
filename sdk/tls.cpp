// The SDK's TLS parts: identity attributes, and the outbound `tls` block with
// the client context made from it. The server side of a connection (the
// handshake, tls_stream's implementation) is the core's.
#include <araldo/context.hpp>
#include <araldo/tls.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace araldo {

tls_stream::~tls_stream() = default;

string_pairs tls_attributes(const tls_info& info) {
    string_pairs out;
    if (!info.peer) return out;
    out.emplace_back("tls.cn", info.peer->cn);
    std::string san;
    for (const auto& name : info.peer->san) {
        if (!san.empty()) san += ' ';
        san += name;
    }
    out.emplace_back("tls.san", std::move(san));
    return out;
}

option_spec tls_client_option(std::string name) {
    option_spec spec{std::move(name), option_type::object};
    spec.description =
        "TLS for the connection: ca (PEM CA certificates that verify the server; default the system's), cert and "
        "key (PEM, a client certificate for servers that require one)";
    spec.fields = {
        {"ca", option_type::string, std::nullopt, "PEM file of CA certificates; default: the system's trust store"},
        {"cert", option_type::string, std::nullopt, "PEM client certificate (chain allowed); needs key"},
        {"key", option_type::string, std::nullopt, "PEM private key of cert"},
    };
    return spec;
}

std::optional<tls_client_config> read_tls_client_config(const options& opts, const global_settings& global,
                                                        std::string_view name) {
    if (!opts.given(name)) return std::nullopt;
    const auto& block = opts.object(name);
    tls_client_config c;
    const auto path = [&](const char* field) {
        return block.has(field) ? resolve_config_path(global, block.string(field)) : std::string{};
    };
    c.ca = path("ca");
    c.cert = path("cert");
    c.key = path("key");
    if (c.cert.empty() != c.key.empty()) {
        const char* missing = c.cert.empty() ? "cert" : "key";
        block.fail(c.cert.empty() ? "key" : "cert", std::string("needs ") + missing + " beside it",
                   "a client certificate is a cert and its key");
    }
    return c;
}

namespace {

[[noreturn]] void fail_with_file(const char* what, const std::string& file) {
    const auto code = ::ERR_get_error();
    ::ERR_clear_error();
    char reason[256] = "unknown error";
    if (code != 0) ::ERR_error_string_n(code, reason, sizeof reason);
    throw std::runtime_error(std::string("cannot load ") + what + " " + file + ": " + reason);
}

// An encrypted key would make OpenSSL ask for a passphrase on the terminal
// of a daemon: refusing instead makes the load fail with a clear reason.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

void configure_tls_client(boost::asio::ssl::context& ctx, const tls_client_config& config) {
    SSL_CTX* native = ctx.native_handle();
    ::ERR_clear_error();
    ::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    ::SSL_CTX_set_default_passwd_cb(native, no_passphrase);
    if (config.ca.empty()) {
        if (::SSL_CTX_set_default_verify_paths(native) != 1) fail_with_file("the system's CA store", "");
    } else if (::SSL_CTX_load_verify_locations(native, config.ca.c_str(), nullptr) != 1) {
        fail_with_file("CA file", config.ca);
    }
    ::SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
    if (!config.cert.empty()) {
        if (::SSL_CTX_use_certificate_chain_file(native, config.cert.c_str()) != 1)
            fail_with_file("certificate", config.cert);
        if (::SSL_CTX_use_PrivateKey_file(native, config.key.c_str(), SSL_FILETYPE_PEM) != 1)
            fail_with_file("key", config.key);
        if (::SSL_CTX_check_private_key(native) != 1) fail_with_file("key (it does not match the certificate)", config.key);
    }
}

result<> prepare_tls_client(ssl_st* ssl, std::string_view host) {
    const std::string h(host);
    X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl);
    ::X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    boost::system::error_code not_address;
    boost::asio::ip::make_address(h, not_address);
    if (!not_address) {
        if (::X509_VERIFY_PARAM_set1_ip_asc(param, h.c_str()) != 1)
            return result<>::fail("cannot verify the server's address " + h);
        return result<>::ok();
    }
    if (::SSL_set_tlsext_host_name(ssl, h.c_str()) != 1) return result<>::fail("cannot send the server name " + h);
    if (::SSL_set1_host(ssl, h.c_str()) != 1) return result<>::fail("cannot verify the server name " + h);
    return result<>::ok();
}

namespace {

std::string asn1_utf8(const ASN1_STRING* s) {
    unsigned char* utf8 = nullptr;
    const int n = ::ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) return {};
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    ::OPENSSL_free(utf8);
    return out;
}

}  // namespace

std::optional<tls_peer> verified_peer(ssl_st* ssl) {
    X509* cert = ::SSL_get0_peer_certificate(ssl);
    if (cert == nullptr || ::SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
    tls_peer p;
    const X509_NAME* subject = ::X509_get_subject_name(cert);
    if (const int i = ::X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0)
        p.cn = asn1_utf8(::X509_NAME_ENTRY_get_data(::X509_NAME_get_entry(subject, i)));
    auto* names = static_cast<GENERAL_NAMES*>(::X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (names == nullptr) return p;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS) p.san.push_back(asn1_utf8(name->d.dNSName));
        if (name->type == GEN_URI) p.san.push_back(asn1_utf8(name->d.uniformResourceIdentifier));
    }
    ::GENERAL_NAMES_free(names);
    return p;
}

}  // namespace araldo
