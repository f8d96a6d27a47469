// The VapourSynth plugin entry point: namespace "cnnv3", one function, Stylize.
#include "stylize_filter.h"

#include <VapourSynth4.h>

VS_EXTERNAL_API(void) VapourSynthPluginInit2(VSPlugin* plugin, const VSPLUGINAPI* vspapi)
{
    vspapi->configPlugin("org.cnnv3.stylize", "cnnv3", "CNN v3: music-driven video stylization",
                         VS_MAKE_VERSION(0, 1), VAPOURSYNTH_API_VERSION, 0, plugin);
    vspapi->registerFunction("Stylize", cnnv3::vs::stylize_arguments, "clip:vnode;", cnnv3::vs::create_stylize,
                             nullptr, plugin);
}
