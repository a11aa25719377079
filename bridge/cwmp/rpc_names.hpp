#pragma once
// Internal to the codec: the RPC element name of each Body alternative, known
// at compile time so that rpc_name() and the decoder's dispatch table share
// one spelling of every name.
#include <string_view>

#include "bridge/cwmp/messages.hpp"

namespace cwmp::detail {

template <class T>
inline constexpr std::string_view rpc_name_v = {};

#define CWMP_RPC_NAME(T) \
    template <>          \
    inline constexpr std::string_view rpc_name_v<T> = #T;
CWMP_RPC_NAME(Inform)
CWMP_RPC_NAME(InformResponse)
CWMP_RPC_NAME(TransferComplete)
CWMP_RPC_NAME(TransferCompleteResponse)
CWMP_RPC_NAME(GetRPCMethods)
CWMP_RPC_NAME(GetRPCMethodsResponse)
CWMP_RPC_NAME(GetParameterNames)
CWMP_RPC_NAME(GetParameterNamesResponse)
CWMP_RPC_NAME(GetParameterValues)
CWMP_RPC_NAME(GetParameterValuesResponse)
CWMP_RPC_NAME(SetParameterValues)
CWMP_RPC_NAME(SetParameterValuesResponse)
CWMP_RPC_NAME(GetParameterAttributes)
CWMP_RPC_NAME(GetParameterAttributesResponse)
CWMP_RPC_NAME(SetParameterAttributes)
CWMP_RPC_NAME(SetParameterAttributesResponse)
CWMP_RPC_NAME(AddObject)
CWMP_RPC_NAME(AddObjectResponse)
CWMP_RPC_NAME(DeleteObject)
CWMP_RPC_NAME(DeleteObjectResponse)
CWMP_RPC_NAME(Reboot)
CWMP_RPC_NAME(RebootResponse)
CWMP_RPC_NAME(FactoryReset)
CWMP_RPC_NAME(FactoryResetResponse)
CWMP_RPC_NAME(Download)
CWMP_RPC_NAME(DownloadResponse)
CWMP_RPC_NAME(Upload)
CWMP_RPC_NAME(UploadResponse)
CWMP_RPC_NAME(ScheduleInform)
CWMP_RPC_NAME(ScheduleInformResponse)
CWMP_RPC_NAME(Fault)
#undef CWMP_RPC_NAME

}  // namespace cwmp::detail
