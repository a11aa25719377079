// Asio, Asio.SSL and Beast compiled once for the whole program
// (BOOST_*_SEPARATE_COMPILATION is set on bridge_net), which is what keeps a
// full build to minutes and an incremental one to seconds.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
