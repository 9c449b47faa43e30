#pragma once
// A SyncReadStream over the fuzz input, so Beast's own read loops (http::read_header, http::read)
// drive the parser as they do on a socket; the end of the input is the peer closing the connection.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <string_view>

namespace shopmesh::fuzz {

class MemoryStream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input), rest_(input) {}

  /// The input read so far, from its first byte.
  std::string_view consumed() const { return input_.substr(0, input_.size() - rest_.size()); }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    if (rest_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(n);
    return n;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view input_;
  std::string_view rest_;
};

}  // namespace shopmesh::fuzz
