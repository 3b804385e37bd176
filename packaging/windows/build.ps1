# Windows: the one-folder build and its Inno Setup installer. Run from the repository root in
# PowerShell, with Python >= 3.11 (python.org) and Inno Setup 6 (https://jrsoftware.org/isdl.php):
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
python -m venv .venv
.venv\Scripts\python -m pip install -q --upgrade pip
.venv\Scripts\python -m pip install -q -e ".[package]"
.venv\Scripts\python packaging\make_icons.py build\icons
.venv\Scripts\python -m PyInstaller --noconfirm --distpath build\package\dist --workpath build\package\work packaging\grace-desktop.spec
$version = .venv\Scripts\python -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])"
# The bundle must start before it is packaged (a windowed exe prints nothing: check the exit code).
$p = Start-Process -FilePath build\package\dist\grace-desktop\grace-desktop.exe -ArgumentList "--self-test","--data-dir","$env:TEMP\grace-selftest" -Wait -PassThru
if ($p.ExitCode -ne 0) { throw "--self-test exited $($p.ExitCode)" }
$iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
& $iscc "/DAppVersion=$version" packaging\windows\grace-desktop.iss
Get-Item build\package\Grace-Desktop-$version-setup.exe | Select-Object Name, Length
