//! A binary declaring 100 functions (HTTP routes `GET /f000` to `GET /f099`), for the
//! emulator's idle memory with many functions declared (`scripts/bench.sh`). Generated; each
//! answers 204.

use fnkit::prelude::*;

#[function(trigger = http(method = "GET", path = "/f000"))]
async fn f000(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f001"))]
async fn f001(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f002"))]
async fn f002(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f003"))]
async fn f003(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f004"))]
async fn f004(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f005"))]
async fn f005(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f006"))]
async fn f006(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f007"))]
async fn f007(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f008"))]
async fn f008(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f009"))]
async fn f009(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f010"))]
async fn f010(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f011"))]
async fn f011(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f012"))]
async fn f012(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f013"))]
async fn f013(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f014"))]
async fn f014(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f015"))]
async fn f015(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f016"))]
async fn f016(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f017"))]
async fn f017(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f018"))]
async fn f018(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f019"))]
async fn f019(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f020"))]
async fn f020(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f021"))]
async fn f021(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f022"))]
async fn f022(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f023"))]
async fn f023(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f024"))]
async fn f024(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f025"))]
async fn f025(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f026"))]
async fn f026(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f027"))]
async fn f027(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f028"))]
async fn f028(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f029"))]
async fn f029(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f030"))]
async fn f030(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f031"))]
async fn f031(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f032"))]
async fn f032(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f033"))]
async fn f033(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f034"))]
async fn f034(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f035"))]
async fn f035(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f036"))]
async fn f036(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f037"))]
async fn f037(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f038"))]
async fn f038(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f039"))]
async fn f039(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f040"))]
async fn f040(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f041"))]
async fn f041(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f042"))]
async fn f042(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f043"))]
async fn f043(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f044"))]
async fn f044(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f045"))]
async fn f045(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f046"))]
async fn f046(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f047"))]
async fn f047(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f048"))]
async fn f048(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f049"))]
async fn f049(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f050"))]
async fn f050(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f051"))]
async fn f051(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f052"))]
async fn f052(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f053"))]
async fn f053(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f054"))]
async fn f054(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f055"))]
async fn f055(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f056"))]
async fn f056(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f057"))]
async fn f057(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f058"))]
async fn f058(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f059"))]
async fn f059(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f060"))]
async fn f060(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f061"))]
async fn f061(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f062"))]
async fn f062(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f063"))]
async fn f063(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f064"))]
async fn f064(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f065"))]
async fn f065(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f066"))]
async fn f066(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f067"))]
async fn f067(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f068"))]
async fn f068(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f069"))]
async fn f069(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f070"))]
async fn f070(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f071"))]
async fn f071(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f072"))]
async fn f072(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f073"))]
async fn f073(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f074"))]
async fn f074(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f075"))]
async fn f075(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f076"))]
async fn f076(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f077"))]
async fn f077(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f078"))]
async fn f078(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f079"))]
async fn f079(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f080"))]
async fn f080(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f081"))]
async fn f081(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f082"))]
async fn f082(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f083"))]
async fn f083(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f084"))]
async fn f084(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f085"))]
async fn f085(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f086"))]
async fn f086(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f087"))]
async fn f087(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f088"))]
async fn f088(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f089"))]
async fn f089(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f090"))]
async fn f090(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f091"))]
async fn f091(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f092"))]
async fn f092(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f093"))]
async fn f093(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f094"))]
async fn f094(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f095"))]
async fn f095(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f096"))]
async fn f096(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f097"))]
async fn f097(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f098"))]
async fn f098(_req: HttpRequest) {}
#[function(trigger = http(method = "GET", path = "/f099"))]
async fn f099(_req: HttpRequest) {}

fn main() {
    fnkit::run()
}
