from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from accounts.models import User


def profile(request, pk: int, slug: str):
    member = get_object_or_404(User.objects.filter(is_active=True), pk=pk)
    return render(request, "accounts/profile.html", {"member": member})


@login_required
def account_settings(request):
    return render(request, "accounts/settings.html")
